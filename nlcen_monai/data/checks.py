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
"""What is wrong with an input file, said with the file's name: the error every reader raises, and the
checks a reader applies to the pixels it read (finite, not all one value).

:class:`BadInputError` starts its message with the offending file, so that whoever reads many files
(a converter, a data loader) can report the bad ones and carry on with the others. The JSRT reader,
the pair check of the transform chains and the converters' checks
(:mod:`nlcen_monai.prep.validation`) all raise it.
"""

from __future__ import annotations

import os

import numpy as np

__all__ = ["BadInputError", "check_finite", "check_not_constant"]


class BadInputError(ValueError):
    """A file that cannot be used as it is; the message names the file and what is wrong."""


def check_finite(image: np.ndarray, path: os.PathLike | str) -> None:
    """Raise if ``image`` holds NaN or infinite values.

    Args:
        image: any numeric array.
        path: the file it was read from, for the error message.
    """
    if np.issubdtype(np.asarray(image).dtype, np.floating) and not np.isfinite(image).all():
        bad = "NaN" if np.isnan(image).any() else "infinite values"
        raise BadInputError(f"{path}: image contains {bad}.")


def check_not_constant(image: np.ndarray, path: os.PathLike | str) -> None:
    """Raise if every pixel of ``image`` has the same value (a blank or broken export).

    Args:
        image: (H, W) or (H, W, C) pixels.
        path: the file it was read from, for the error message.
    """
    flat = np.asarray(image).reshape(-1, image.shape[-1]) if image.ndim == 3 else np.asarray(image).reshape(-1, 1)
    if not flat.size or (flat[:: max(1, len(flat) // 1024)] != flat[0]).any():  # a sample settles almost every image
        return
    if (flat == flat[0]).all():
        value = ", ".join(f"{v:g}" for v in flat[0].astype(np.float64))
        raise BadInputError(f"{path}: constant image (every pixel is {value}).")
