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
"""Checkpoint helpers for the bundles: a training's interval checkpoints, and the last one to resume from."""

from __future__ import annotations

import os
import re
from pathlib import Path

__all__ = ["interval_checkpoints", "latest_checkpoint"]

_EPOCH = re.compile(r"epoch=(\d+)")


def interval_checkpoints(ckpt_dir: os.PathLike | str, prefix: str = "checkpoint") -> list[tuple[int, Path]]:
    """The ``{prefix}*epoch=N.pt`` files written by CheckpointSaver(save_interval=1) in ckpt_dir, by epoch.

    Args:
        ckpt_dir: the bundle's checkpoint folder (need not exist).
        prefix: file prefix of the interval checkpoints.

    Returns:
        ``(N, path)`` pairs, oldest first; empty when there are none.
    """
    found = []
    for path in Path(ckpt_dir).glob(f"{prefix}*.pt"):
        match = _EPOCH.search(path.name)
        if match:
            found.append((int(match.group(1)), path))
    return sorted(found)


def latest_checkpoint(ckpt_dir: os.PathLike | str, prefix: str = "checkpoint") -> str:
    """The newest {prefix}*epoch=N.pt written by CheckpointSaver(save_interval=1) in ckpt_dir.

    Args:
        ckpt_dir: the bundle's checkpoint folder.
        prefix: file prefix of the interval checkpoints.

    Raises:
        FileNotFoundError: when there is nothing to resume from, naming the folder.
    """
    candidates = interval_checkpoints(ckpt_dir, prefix)
    if not candidates:
        raise FileNotFoundError(f"no '{prefix}*epoch=N.pt' checkpoint to resume from in '{ckpt_dir}'.")
    return str(candidates[-1][1])
