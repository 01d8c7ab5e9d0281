# Copyright (c) nlcen-monai contributors
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#     http://www.apache.org/licenses/LICENSE-2.0
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.
"""One configuration of a comparison: its name and the override files that define it.

On the command line a configuration is ``[NAME=]FILE[+FILE...]``: the files are stacked in order
on top of the bundle's config (e.g. ``configs/networks/unet.json+my_tiny_unet.json``) and the name,
by default the first file's stem, names its output folder ``OUT/<name>/``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["RunSpec", "parse_spec", "check_unique", "parse_assignments"]

_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


@dataclass
class RunSpec:
    """A configuration to train, attack and plot.

    Args:
        name: the output folder's name and the label in the figures and the CSV.
        files: override files used for training and evaluation (they define the network).
        train_files: override files used for training only (e.g. ``configs/ablation/finetune_frozen.json``).
        train_overrides: ``{id: value}`` used for training only (e.g. ``init_checkpoint``).
    """

    name: str
    files: list[str]
    train_files: list[str] = field(default_factory=list)
    train_overrides: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ValueError(f"configuration name {self.name!r} must be a plain folder name ([A-Za-z0-9_.-]).")
        for f in [*self.files, *self.train_files]:
            if not Path(f).is_file():
                raise FileNotFoundError(f"configuration {self.name!r}: override file '{f}' does not exist.")


def parse_spec(text: str) -> RunSpec:
    """A :class:`RunSpec` from ``[NAME=]FILE[+FILE...]``.

    Args:
        text: the command-line form of a configuration.
    """
    name, sep, rest = text.partition("=")
    if not sep:
        name, rest = "", text
    files = [f for f in rest.split("+") if f]
    if not files:
        raise ValueError(f"configuration {text!r} names no override file.")
    return RunSpec(name=name or Path(files[0]).name.split(".")[0], files=files)


def check_unique(specs: Sequence[RunSpec]) -> None:
    """Raise ValueError when two configurations would write to the same folder."""
    seen: dict[str, RunSpec] = {}
    for spec in specs:
        if spec.name in seen:
            raise ValueError(
                f"two configurations are named {spec.name!r} ({seen[spec.name].files} and {spec.files}); "
                "name them with NAME=FILE."
            )
        seen[spec.name] = spec


def parse_assignments(items: Sequence[str] | None) -> dict[str, Any]:
    """``["epochs=2", "network_def#network#nlce=true"]`` -> ``{"epochs": 2, "network_def#network#nlce": True}``.

    Values are read as JSON when they parse (numbers, lists, true/false/null), otherwise kept as strings,
    like the values given to ``python -m monai.bundle run --key value``.

    Args:
        items: ``KEY=VALUE`` strings.
    """
    result: dict[str, Any] = {}
    for item in items or ():
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"expected KEY=VALUE, got {item!r}.")
        try:
            result[key] = json.loads(value)
        except json.JSONDecodeError:
            result[key] = value
    return result

