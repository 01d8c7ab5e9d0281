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
"""Read any 2-D image or mask file into a numpy array, rows first, with errors that name the file.

Raster formats (PNG, JPEG, BMP, GIF, TIFF) go through PIL, NIfTI through nibabel, everything else
(DICOM, NRRD, MetaImage, ...) through ITK. Arrays come back in PIL's (rows, columns[, channels]) order, which is
what the converters write back as PNG.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image

from nlcen_monai.data.validation import BadInputError, check_binary_mask, check_finite

__all__ = ["RASTER_SUFFIXES", "read_image_2d", "read_mask_2d", "to_uint8"]

RASTER_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff")
"""File suffixes read with PIL; any other suffix is read with ITK."""

_GREY_MODES = {"1", "L", "I", "I;16", "I;16B", "I;16L", "F"}


def _read_pil(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        im.load()  # decode now: a truncated file fails here, inside the error handling
        if im.mode in ("LA", "La"):
            im = im.convert("L")
        elif im.mode == "P":
            im = im.convert("RGB")
            array = np.asarray(im)
            # a palette of greys (e.g. the SCR .gif masks) is a grey image
            return array[..., 0] if (array == array[..., :1]).all() else array
        elif im.mode not in _GREY_MODES and im.mode != "RGB":
            im = im.convert("RGB")  # RGBA, CMYK, YCbCr, ...
        return np.asarray(im)


def _read_itk(path: Path) -> np.ndarray:
    import itk  # imported lazily: loading ITK takes seconds and most inputs are PNG/JPEG

    array = np.asarray(itk.array_from_image(itk.imread(str(path))))
    while array.ndim > 2 and array.shape[0] == 1:  # 2-D slice stored as a 3-D volume
        array = array[0]
    return array


def _read_nibabel(path: Path) -> np.ndarray:
    import nibabel as nib

    array = np.asanyarray(nib.load(str(path)).dataobj)
    while array.ndim > 2 and array.shape[-1] == 1:  # 2-D slice stored with trailing singleton axes
        array = array[..., 0]
    return np.swapaxes(array, 0, 1) if array.ndim >= 2 else array  # (x, y) -> rows first, as ITK gives


def read_image_2d(path: os.PathLike | str) -> np.ndarray:
    """Read a 2-D image as (rows, columns) or (rows, columns, channels).

    Args:
        path: an image file.

    Raises:
        BadInputError: the file is missing, unreadable, not 2-D, or holds NaN.
    """
    path = Path(path)
    if not path.is_file():
        raise BadInputError(f"{path}: file not found.")
    try:
        name = path.name.lower()
        if name.endswith(RASTER_SUFFIXES):
            array = _read_pil(path)
        elif name.endswith((".nii", ".nii.gz")):
            array = _read_nibabel(path)  # not ITK: its NIfTI reader turns NaN into 0, hiding bad data
        else:
            array = _read_itk(path)
    except Exception as e:  # PIL, ITK and the OS raise many types for a bad file
        raise BadInputError(f"{path}: unreadable image ({type(e).__name__}: {e}).") from e
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[-1] not in (1, 3, 4)):
        raise BadInputError(f"{path}: expected a 2-D grey or RGB image, got an array of shape {array.shape}.")
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    elif array.ndim == 3 and array.shape[-1] == 4:
        array = array[..., :3]  # drop alpha
    check_finite(array, path)
    return array


def read_mask_2d(path: os.PathLike | str) -> np.ndarray:
    """Read a binary mask ({0, 1} or {0, 255}) as a boolean (rows, columns) array.

    Args:
        path: a mask file; a colour file is accepted when its channels are equal.

    Raises:
        BadInputError: the file is missing, unreadable, coloured or not binary.
    """
    mask = read_image_2d(path)
    if mask.ndim == 3:
        if not (mask == mask[..., :1]).all():
            raise BadInputError(f"{path}: a mask must be grey, found distinct colour channels.")
        mask = mask[..., 0]
    return check_binary_mask(mask, path)


def to_uint8(image: np.ndarray, path: os.PathLike | str) -> np.ndarray:
    """Bring an image to uint8 grey levels 0..255.

    uint8 stays as is; an image whose values are already integers in 0..255 is cast; anything else
    (16-bit, float, signed) is stretched linearly from its own minimum and maximum to 0..255.

    Args:
        image: the array from :func:`read_image_2d`.
        path: the file it came from, for the error message.
    """
    if image.dtype == np.uint8:
        return image
    if image.dtype == bool:
        return image.astype(np.uint8) * 255
    check_finite(image, path)
    values = image.astype(np.float64)
    lo, hi = float(values.min()), float(values.max())
    if lo >= 0 and hi <= 255 and np.array_equal(values, np.round(values)):
        return values.astype(np.uint8)
    if hi == lo:
        raise BadInputError(f"{path}: constant image (every pixel is {lo:g}).")
    return np.rint((values - lo) * (255.0 / (hi - lo))).astype(np.uint8)
