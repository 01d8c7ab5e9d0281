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
"""Bundle settings checked before any work, each bad one named in the last line the user sees.

The bundles call :func:`check_settings` first thing in ``initialize``: a wrong ``--epochs``,
``--image_size``, ``--dataset_dir`` (or ``--input_dir`` for inference) stops the run before data
are cached or ``models/`` and TensorBoard files are created. MONAI wraps every exception raised inside a config expression in
``RuntimeError("Failed to evaluate ...")`` (``except Exception``), which buries the cause dozens of
lines up; :class:`BundleSettingError` derives from ``SystemExit`` instead, so it passes through
MONAI unwrapped and ``python -m monai.bundle run`` ends with its message alone (exit status 1).
In Python it is caught like any ``SystemExit``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

import torch.nn as nn

from nlcen_monai.data.datalists import datalist_path, list_images
from nlcen_monai.workflows.release import model_path

__all__ = ["BundleSettingError", "check_settings", "required_setting", "size_divisor"]


class BundleSettingError(SystemExit):
    """A bundle setting that cannot work; the message names the setting, its value and what is wrong."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("bad bundle setting: " + "; ".join(self.problems))

    def __str__(self) -> str:
        return str(self.code)


def required_setting(name: str, what: str) -> NoReturn:
    """Raise :class:`BundleSettingError` for a setting that has no default; for an override file's placeholder.

    An override that cannot work without a value (e.g. the fine-tuning files' ``init_checkpoint``)
    sets ``"name": "$nlcen_monai.workflows.required_setting('name', 'what it is')"``; the first
    use of ``@name`` then stops the run unless ``--name`` was given.

    Args:
        name: the config key.
        what: what the value must be, for the message.
    """
    raise BundleSettingError([f"'{name}' is required ({what}): give --{name} VALUE"])


def size_divisor(network: nn.Module) -> int | None:
    """What the network's input sizes must be divisible by, from its ``divisor`` attribute (None if it has none).

    Wrappers are looked through: ``PixelNormalizedNet.network`` and ``DistributedDataParallel.module``.

    Args:
        network: the bundle's network.
    """
    for attribute in ("network", "module"):
        inner = getattr(network, attribute, None)
        if isinstance(inner, nn.Module):
            return size_divisor(inner)
    divisor = getattr(network, "divisor", None)
    return int(divisor) if isinstance(divisor, int) else None


def _is_positive_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def check_settings(
    epochs: int | None = None,
    image_size: int | Sequence[int] | None = None,
    dataset_dir: str | os.PathLike | None = None,
    network: nn.Module | None = None,
    batch_size: int | None = None,
    init_checkpoint: str | os.PathLike | None = None,
    input_dir: str | os.PathLike | None = None,
    num_threads: int | None = None,
    ckpt_dir: str | os.PathLike | None = None,
    bundle_name: str | None = None,
    output_dir: str | os.PathLike | None = None,
) -> None:
    """Check the bundle settings given (None: not checked) and raise one error listing every bad one.

    Args:
        epochs: number of training epochs, a positive integer.
        image_size: side (or sides) the images are resized to: positive, divisible by the
            network's :func:`size_divisor` when ``network`` is given.
        dataset_dir: a folder written by a ``data_prep`` converter, holding ``datalist.json``.
        network: the bundle's network, for the size check.
        batch_size: a positive integer.
        init_checkpoint: when not None, an existing checkpoint file.
        input_dir: a folder holding at least one image (inference).
        num_threads: PyTorch's intra-op threads, a positive integer.
        ckpt_dir: with ``bundle_name``: the model to load, ``<ckpt_dir>/model.pt``, or (None) the bundle's
            released model, must exist and match its checksum (:func:`~nlcen_monai.workflows.model_path`).
        bundle_name: the bundle's name; the model is checked only when it is given.
        output_dir: the folder to write to: it must be a folder or not exist yet, in a folder that exists.

    Raises:
        BundleSettingError: naming each bad setting, its value and what it must be.
    """
    problems = []
    if epochs is not None and not _is_positive_int(epochs):
        problems.append(f"epochs {epochs!r} is not a positive integer (the number of training epochs)")
    if batch_size is not None and not _is_positive_int(batch_size):
        problems.append(f"batch_size {batch_size!r} is not a positive integer")
    if num_threads is not None and not _is_positive_int(num_threads):
        problems.append(f"num_threads {num_threads!r} is not a positive integer")
    if image_size is not None:
        sizes = [image_size] if isinstance(image_size, int) else list(image_size)
        divisor = size_divisor(network) if network is not None else None
        if not sizes or not all(_is_positive_int(s) for s in sizes):
            problems.append(f"image_size {image_size!r} is not a positive integer")
        elif divisor and any(s % divisor for s in sizes):
            name = type(getattr(network, "network", network)).__name__
            near = sorted({max(divisor, divisor * round(s / divisor)) for s in sizes})
            problems.append(
                f"image_size {image_size!r} is not divisible by {divisor}, which {name} needs: try {near[0]}"
            )
    if dataset_dir is not None:
        try:
            datalist_path(dataset_dir)
        except FileNotFoundError as e:
            problems.append(str(e))
    if init_checkpoint is not None and not Path(init_checkpoint).is_file():
        problems.append(f"init_checkpoint '{init_checkpoint}' does not exist: give the model.pt to start from.")
    if input_dir is not None:
        try:
            list_images(input_dir)
        except FileNotFoundError as e:
            problems.append(str(e))
    if bundle_name is not None:

        try:
            model_path(ckpt_dir, bundle_name)
        except (FileNotFoundError, ValueError) as e:
            problems.append(str(e))
    if output_dir is not None:
        out = Path(output_dir)
        if out.exists() and not out.is_dir():
            problems.append(f"output_dir '{out}' is a file, not a folder")
        elif not out.exists() and not out.parent.is_dir():
            problems.append(f"output_dir '{out}': its parent folder '{out.parent}' does not exist")
    if problems:
        raise BundleSettingError(problems)
