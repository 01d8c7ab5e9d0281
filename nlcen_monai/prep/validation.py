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
"""The converters' checks of a mask and of an image/mask pair: binary (or thresholded), not empty or full, same grid.

Every check raises :class:`~nlcen_monai.data.checks.BadInputError` with a message that starts with
the offending file, so that a converter can report the bad cases and carry on with the others.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from nlcen_monai.data.checks import BadInputError, check_finite

__all__ = [
    "binary_levels",
    "check_binary_mask",
    "threshold_mask",
    "check_mask_not_trivial",
    "check_pair_shapes",
]

THRESHOLD_HINT = "give --mask-threshold T to binarise it (foreground = value > T)"
"""What the converters' users can do about a non-binary mask; ends every non-binary message."""


def _values(mask: np.ndarray) -> np.ndarray:
    """The distinct values of ``mask``, sorted."""
    if mask.dtype in (np.uint8, bool):  # the common case, ~10x faster than np.unique
        return np.flatnonzero(np.bincount(mask.ravel().view(np.uint8), minlength=2)).astype(mask.dtype)
    return np.unique(mask)


def _shown(values: np.ndarray) -> str:
    return ", ".join(f"{v:g}" for v in values[:8].astype(np.float64)) + (", ..." if len(values) > 8 else "")


def binary_levels(dtype: np.dtype) -> tuple[set[int], ...]:
    """The value pairs accepted as a binary mask of ``dtype``: {0, 1}, {0, 255}, {0, 65535} and {0, max of the dtype}.

    So 0/1, 0/255 (8-bit), 0/65535 (16-bit, also when a reader widens it to 32 bits) and ``bool``
    masks are binary.

    Args:
        dtype: the mask's dtype.
    """
    levels = [{0, 1}, {0, 255}]
    if np.issubdtype(dtype, np.integer):
        top = int(np.iinfo(dtype).max)
        levels += [{0, 65535}] if top > 65535 else []
        levels += [{0, top}] if top > 255 else []
    return tuple(levels)


def check_binary_mask(mask: np.ndarray, path: os.PathLike | str) -> np.ndarray:
    """Return ``mask`` as a boolean array, or raise if it is not a binary mask.

    A binary mask holds two levels, 0 and one of 1, 255 or the largest value of its dtype (see
    :func:`binary_levels`); an image with a single one of these values also counts as binary (the
    converters reject an empty or full mask separately, :func:`check_mask_not_trivial`).

    Args:
        mask: a 2-D mask array.
        path: the file it was read from, for the error message.
    """
    if mask.ndim != 2:
        raise BadInputError(f"{path}: a mask must be a single-channel 2-D image, got shape {mask.shape}.")
    values = _values(mask)
    if np.isnan(values.astype(np.float64)).any():
        raise BadInputError(f"{path}: mask contains NaN.")
    found = set(values.tolist())
    for levels in binary_levels(mask.dtype):
        if found <= levels:
            return mask == max(levels)
    expected = " or ".join("{" + ", ".join(str(v) for v in sorted(lv)) + "}" for lv in binary_levels(mask.dtype))
    raise BadInputError(f"{path}: mask is not binary (expected values in {expected}, found {_shown(values)}); {THRESHOLD_HINT}.")


def threshold_mask(mask: np.ndarray, path: os.PathLike | str, threshold: float | None) -> tuple[np.ndarray, int]:
    """Binarise ``mask``: strictly (:func:`check_binary_mask`) or as ``mask > threshold``.

    The threshold is compared with the values stored in the file (0..255 for an 8-bit mask,
    0..65535 for a 16-bit one, the alpha values for a mask held in an alpha channel).

    Args:
        mask: a 2-D mask array.
        path: the file it was read from, for the error messages.
        threshold: ``None`` for a strict binary check, else the largest background value.

    Returns:
        the boolean mask and the number of pixels the threshold had to assign: those strictly between
        the mask's lowest and highest value (the soft edge); 0 without a threshold.
    """
    if threshold is None:
        return check_binary_mask(mask, path), 0
    if mask.ndim != 2:
        raise BadInputError(f"{path}: a mask must be a single-channel 2-D image, got shape {mask.shape}.")
    check_finite(mask, path)
    values = mask if mask.dtype != bool else mask.view(np.uint8)
    lo, hi = values.min(), values.max()
    changed = int(np.count_nonzero((values > lo) & (values < hi)))
    return values > threshold, changed


def check_mask_not_trivial(mask: np.ndarray, path: os.PathLike | str, how: str = "") -> None:
    """Raise if a boolean mask is empty or covers the whole image: nothing to segment, or a broken file.

    Args:
        mask: a boolean mask.
        path: the file it was read from, for the error message.
        how: appended to the message, e.g. how the mask was binarised.
    """
    if not mask.any():
        raise BadInputError(f"{path}: mask is empty (no foreground pixel{how}).")
    if mask.all():
        raise BadInputError(f"{path}: mask covers the whole image (no background pixel{how}).")




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
