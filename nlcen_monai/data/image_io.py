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

from nlcen_monai.data.validation import BadInputError, check_finite, check_not_constant, threshold_mask

__all__ = ["RASTER_SUFFIXES", "read_image_2d", "read_mask_values", "read_mask_2d", "to_uint8"]

RASTER_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff")
"""File suffixes read with PIL; any other suffix is read with ITK."""

_GREY_MODES = {"1", "L", "I", "I;16", "I;16B", "I;16L", "F"}
_ALPHA_MODES = {"LA", "La", "RGBA", "RGBa", "PA"}


def _read_pil(path: Path, keep_alpha: bool = False) -> np.ndarray:
    with Image.open(path) as im:
        im.load()  # decode now: a truncated file fails here, inside the error handling
        if keep_alpha and (im.mode in _ALPHA_MODES or (im.mode == "P" and "transparency" in im.info)):
            return np.asarray(im.convert("RGBA"))
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


def read_image_2d(path: os.PathLike | str, keep_alpha: bool = False) -> np.ndarray:
    """Read a 2-D image as (rows, columns) or (rows, columns, channels).

    Args:
        path: an image file.
        keep_alpha: return (rows, columns, 4) RGBA for a file with an alpha channel; by default the
            alpha channel is dropped.

    Raises:
        BadInputError: the file is missing, unreadable, not 2-D, or holds NaN.
    """
    path = Path(path)
    if not path.is_file():
        raise BadInputError(f"{path}: file not found.")
    try:
        name = path.name.lower()
        if name.endswith(RASTER_SUFFIXES):
            array = _read_pil(path, keep_alpha)
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
    elif array.ndim == 3 and array.shape[-1] == 4 and not keep_alpha:
        array = array[..., :3]  # drop alpha
    check_finite(array, path)
    return array


def _is_constant(array: np.ndarray) -> bool:
    """Whether every pixel of a (H, W) or (H, W, C) array equals the first one."""
    return bool((array == array.reshape(-1, *array.shape[2:])[0]).all())


def read_mask_values(path: os.PathLike | str) -> np.ndarray:
    """Read the channel of a mask file that holds the label, as stored (not yet binarised).

    A grey file gives its only channel; a colour file whose channels are equal gives one of them. With an
    alpha channel: when the colour channels are constant (e.g. black everywhere) and the alpha varies,
    the label is the alpha channel; when both vary they must be equal (white on transparent) and
    otherwise the file is rejected, since either could be the label.

    Args:
        path: a mask file.

    Raises:
        BadInputError: the file is missing, unreadable, coloured, or holds two different labels.
    """
    array = read_image_2d(path, keep_alpha=True)
    if array.ndim == 2:
        return array
    colour, alpha = array[..., :3], array[..., 3] if array.shape[-1] == 4 else None
    grey = colour[..., 0]
    if alpha is not None and not _is_constant(alpha):
        if _is_constant(colour):
            return alpha
        if not np.array_equal(np.broadcast_to(alpha[..., None], colour.shape), colour):
            raise BadInputError(
                f"{path}: both the colour channels and the alpha channel vary and differ, so the label "
                "could be in either; save the mask as a single grey channel."
            )
        return grey
    if not (colour == grey[..., None]).all():
        raise BadInputError(f"{path}: a mask must be grey, found distinct colour channels.")
    return grey


def read_mask_2d(path: os.PathLike | str, threshold: float | None = None) -> np.ndarray:
    """Read a mask as a boolean (rows, columns) array.

    Args:
        path: a mask file (see :func:`read_mask_values` for colour and alpha channels).
        threshold: ``None``: the mask must be binary (0/1, 0/255, 0/max of its dtype, bool); else
            foreground = stored value > ``threshold``.

    Raises:
        BadInputError: the file is missing, unreadable, coloured or, without a threshold, not binary.
    """
    return threshold_mask(read_mask_values(path), path, threshold)[0]


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
    check_not_constant(values, path)
    return np.rint((values - lo) * (255.0 / (hi - lo))).astype(np.uint8)
