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
"""Input checks shared by the converters, the JSRT reader and the transform chains.

Every check raises :class:`BadInputError` with a message that starts with the offending file, so
that a converter can report the bad cases and carry on with the others (DESIGN section 7).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

__all__ = ["BadInputError", "check_binary_mask", "check_pair_shapes", "check_finite"]


class BadInputError(ValueError):
    """A file that cannot be used as it is; the message names the file and what is wrong."""


def check_binary_mask(mask: np.ndarray, path: os.PathLike | str) -> np.ndarray:
    """Return ``mask`` as a boolean array, or raise if it is not a binary mask.

    A binary mask holds values in {0, 1} or in {0, 255} (any dtype); an image with a single
    colour (all 0, all 1 or all 255) also counts as binary.

    Args:
        mask: a 2-D mask array.
        path: the file it was read from, for the error message.
    """
    if mask.ndim != 2:
        raise BadInputError(f"{path}: a mask must be a single-channel 2-D image, got shape {mask.shape}.")
    if mask.dtype in (np.uint8, bool):  # the common case, ~10x faster than np.unique
        values = np.flatnonzero(np.bincount(mask.ravel().view(np.uint8), minlength=2))
    else:
        values = np.unique(mask)
    if np.isnan(values.astype(np.float64)).any():
        raise BadInputError(f"{path}: mask contains NaN.")
    if set(values.tolist()) <= {0, 1}:
        return mask.astype(bool)
    if set(values.tolist()) <= {0, 255}:
        return mask == 255
    shown = ", ".join(f"{v:g}" for v in values[:8].astype(np.float64)) + (", ..." if len(values) > 8 else "")
    raise BadInputError(f"{path}: mask is not binary (expected values in {{0, 1}} or {{0, 255}}, found {shown}).")


def check_pair_shapes(
    image_shape: Sequence[int],
    mask_shape: Sequence[int],
    image_path: os.PathLike | str,
    mask_path: os.PathLike | str,
    allow_integer_scale: bool = False,
) -> None:
    """Raise if an image and its mask do not cover the same pixel grid.

    Args:
        image_shape: spatial shape (rows, columns) of the image.
        mask_shape: spatial shape (rows, columns) of the mask.
        image_path: the image file, for the error message.
        mask_path: the mask file, for the error message.
        allow_integer_scale: accept a mask whose size divides the image's by the same integer
            factor along both axes (the SCR masks are 1024 x 1024 for 2048 x 2048 JSRT images).
    """
    image_shape, mask_shape = tuple(image_shape[:2]), tuple(mask_shape[:2])
    if image_shape == mask_shape:
        return
    if allow_integer_scale and all(m > 0 and i % m == 0 for i, m in zip(image_shape, mask_shape)):
        factors = {i // m for i, m in zip(image_shape, mask_shape)}
        if len(factors) == 1:
            return
    raise BadInputError(
        f"{mask_path}: mask size {mask_shape[1]} x {mask_shape[0]} does not match "
        f"image {image_path} of size {image_shape[1]} x {image_shape[0]} (width x height)."
    )


def check_finite(image: np.ndarray, path: os.PathLike | str) -> None:
    """Raise if ``image`` holds NaN or infinite values.

    Args:
        image: any numeric array.
        path: the file it was read from, for the error message.
    """
    if np.issubdtype(np.asarray(image).dtype, np.floating) and not np.isfinite(image).all():
        bad = "NaN" if np.isnan(image).any() else "infinite values"
        raise BadInputError(f"{path}: image contains {bad}.")
