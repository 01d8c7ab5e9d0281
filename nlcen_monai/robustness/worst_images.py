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
"""The worst-case adversarial images behind the recorded figures, kept so that the checks start from them.

Checks b, c and d of :mod:`nlcen_monai.robustness.checks` start from the evaluated worst case (c also
from the worst case of the intensity below). When a resumed evaluation has only check rows left to
compute, re-running the attack would give other images than those the recorded Dice came from (the
attacks draw random starts), and a check could then come out above the figure it checks. The
evaluator therefore keeps each image's worst case per intensity here, when it records its row, and
reads it back instead of attacking again.

One ``<case_id>.npz`` per image in ``folder``, an array ``eps<e>`` per intensity (the float32 image as
it was attacked, so that it scores exactly as recorded), replaced atomically and read from disk when
needed (nothing is kept in memory). Without a folder the images live in memory for the run only.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from nlcen_monai.utils.atomic import atomic_write

from .keys import eps_key, format_eps

__all__ = ["WorstCaseImages"]


class WorstCaseImages:
    """Per image and intensity, the recorded worst-case adversarial image.

    Args:
        folder: where the images are kept (created on the first save); None: in memory only.

    Example::

        store = WorstCaseImages("eval/nlcen_jsrt/robustness/worst_case_images")
        store.save("JPCLN002", 8, adversarial[0])
        store.load("JPCLN002", 8)  # the same tensor (C, *spatial), or None
    """

    def __init__(self, folder: str | os.PathLike | None = None) -> None:
        self.folder = None if folder is None else Path(folder)
        self._memory: dict[str, dict[str, np.ndarray]] = {}

    @staticmethod
    def _key(eps: float) -> str:
        return f"eps{format_eps(eps_key(eps))}"

    def _path(self, case_id: str) -> Path:
        assert self.folder is not None
        return self.folder / f"{case_id}.npz"

    def _read(self, case_id: str) -> dict[str, np.ndarray]:
        if self.folder is None:
            return self._memory.get(case_id, {})
        path = self._path(case_id)
        if not path.is_file():
            return {}
        with np.load(path) as content:
            return {name: content[name] for name in content.files}

    def load(self, case_id: str, eps: float) -> torch.Tensor | None:
        """The image recorded for ``case_id`` at ``eps`` (C, *spatial), float32 on the CPU; None when there is none."""
        array = self._read(str(case_id)).get(self._key(eps))
        return None if array is None else torch.from_numpy(array.copy())

    def has(self, case_id: str, eps: float) -> bool:
        """Whether an image is recorded for ``case_id`` at ``eps``."""
        return self._key(eps) in self._read(str(case_id))

    def save(self, case_id: str, eps: float, image: torch.Tensor) -> None:
        """Record ``image`` (C, *spatial) as the worst case of ``case_id`` at ``eps`` (replacing one recorded before)."""
        case_id = str(case_id)
        arrays = dict(self._read(case_id))
        arrays[self._key(eps)] = image.detach().to("cpu", torch.float32).numpy().copy()
        if self.folder is None:
            self._memory[case_id] = arrays
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        atomic_write(self._path(case_id), lambda handle: np.savez_compressed(handle, **arrays))
