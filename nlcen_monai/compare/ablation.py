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
"""The paper's ablation protocol (Ablation Studies section) as a sequence of :class:`RunSpec`.

1. ``wo_nlce``: NLCEN without NLCE modules, trained from scratch;
2. ``wo_nl``, ``wo_ce``, ``nlcen_frozen``: initialised from ``wo_nlce``'s ``model.pt`` with every
   w/o-NLCE layer frozen (only ``network.nlce.*`` trains; ``configs/ablation/finetune_frozen.json``);
3. ``nlcen_finetuned``: initialised from ``nlcen_frozen`` with nothing frozen
   (``configs/ablation/finetune_all.json``).

Each step only needs the previous steps' checkpoints, so ``--skip-train`` re-evaluates all of them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from nlcen_monai.utils.configs import configs_dir

from .spec import RunSpec

__all__ = ["default_configs_root", "ablation_specs"]


def default_configs_root() -> Path:
    """The shared override files the package reads: the checkout's ``configs/``, or the installed package data."""
    return configs_dir()


def ablation_specs(
    ckpt_of: Callable[[str], os.PathLike | str],
    configs_root: str | os.PathLike | None = None,
    finetune_overrides: Mapping[str, Any] | None = None,
) -> list[RunSpec]:
    """The five configurations of the ablation protocol, in training order.

    Args:
        ckpt_of: ``name -> path of that configuration's model.pt`` (e.g. ``lambda n: runner.ckpt_dir(n) / "model.pt"``).
        configs_root: the folder with ``networks/`` and ``ablation/`` (default: :func:`default_configs_root`).
        finetune_overrides: ``{id: value}`` for the fine-tuning steps only (e.g. ``{"epochs": 20}``).
    """
    root = Path(configs_root) if configs_root is not None else default_configs_root()
    frozen, unfrozen = str(root / "ablation" / "finetune_frozen.json"), str(root / "ablation" / "finetune_all.json")
    extra = dict(finetune_overrides or {})

    def finetune(name: str, network_file: Path, how: str, source: str) -> RunSpec:
        return RunSpec(name, [str(network_file)], [how], {**extra, "init_checkpoint": str(ckpt_of(source))})

    return [
        RunSpec("wo_nlce", [str(root / "ablation" / "wo_nlce.json")]),
        finetune("wo_nl", root / "ablation" / "wo_nl.json", frozen, "wo_nlce"),
        finetune("wo_ce", root / "ablation" / "wo_ce.json", frozen, "wo_nlce"),
        finetune("nlcen_frozen", root / "networks" / "nlcen.json", frozen, "wo_nlce"),
        finetune("nlcen_finetuned", root / "networks" / "nlcen.json", unfrozen, "nlcen_frozen"),
    ]
