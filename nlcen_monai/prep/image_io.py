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

The file is read by the MONAI reader that ``LoadImage`` would use for it, the first whose
``verify_suffix`` accepts its suffix: raster formats (PNG, JPEG, BMP, GIF, TIFF) with ``PILReader``, NIfTI
with ``NibabelReader`` (ITK's NIfTI reader turns NaN into 0, hiding bad data), DICOM with
:class:`~nlcen_monai.data.RadiographDicomReader` (display grey levels, as inference reads it), everything
else (NRRD, MetaImage, ...) with ``ITKReader``. Unlike ``LoadImage``, which tries every reader in
turn and then reports only that none was suitable, a failure here is the chosen reader's own error,
raised as :class:`~nlcen_monai.data.checks.BadInputError` naming the file. Arrays come back in PIL's
(rows, columns[, channels]) order with the file's own dtype, which is what the converters write back
as PNG.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import partial
from pathlib import Path

import numpy as np
from monai.data import ITKReader, NibabelReader, PILReader
from monai.utils import ensure_tuple
from PIL import Image

from nlcen_monai.data.checks import BadInputError, check_finite
from nlcen_monai.data.dicom_reader import RadiographDicomReader
from nlcen_monai.prep.validation import threshold_mask

__all__ = ["RASTER_SUFFIXES", "read_image_2d", "read_mask_values", "read_mask_2d"]

RASTER_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff")
"""File suffixes read with PIL (by content: a JPEG named ``.png`` is read as the JPEG it is)."""

_GREY_MODES = {"1", "L", "I", "I;16", "I;16B", "I;16L", "F"}
_ALPHA_MODES = {"LA", "La", "RGBA", "RGBa", "PA"}


def _pil_mode(im: Image.Image, keep_alpha: bool = False) -> Image.Image:
    """Decode ``im`` into grey, RGB or (``keep_alpha``) RGBA, and close its file; a palette of greys gives grey."""
    with im:
        im.load()  # decode now: a truncated file fails here, inside the reader's error handling
        if keep_alpha and (im.mode in _ALPHA_MODES or (im.mode == "P" and "transparency" in im.info)):
            return im.convert("RGBA")
        if im.mode in ("LA", "La"):
            return im.convert("L")
        if im.mode == "P":  # a palette of greys (e.g. the SCR .gif masks) is a grey image
            rgb = im.convert("RGB")
            array = np.asarray(rgb)
            return rgb.convert("L") if (array == array[..., :1]).all() else rgb  # equal channels: L is exact
        if im.mode not in _GREY_MODES and im.mode != "RGB":
            return im.convert("RGB")  # RGBA, CMYK, YCbCr, ...
        return im.copy()  # a copy outlives the file


class _RasterReader(PILReader):
    """MONAI's ``PILReader`` for every suffix of :data:`RASTER_SUFFIXES` (it knows PNG, JPEG and BMP
    only), with the modes of :func:`_pil_mode` and PIL's rows-first axes."""

    def __init__(self, keep_alpha: bool) -> None:
        super().__init__(converter=partial(_pil_mode, keep_alpha=keep_alpha), reverse_indexing=False)

    def verify_suffix(self, filename: Sequence[os.PathLike | str] | os.PathLike | str) -> bool:
        return all(str(name).lower().endswith(RASTER_SUFFIXES) for name in ensure_tuple(filename))


def _read(path: Path, keep_alpha: bool) -> np.ndarray:
    """The array of the first reader that accepts ``path``, with a 2-D slice's singleton axes removed."""
    readers = (_RasterReader(keep_alpha), NibabelReader(), RadiographDicomReader(swap_ij=False))
    readers += (ITKReader(reverse_indexing=True),)  # ITK accepts any suffix
    reader = next(r for r in readers if r.verify_suffix(str(path)))
    array = np.array(reader.get_data(reader.read(str(path)))[0])  # a copy: ITK hands out a view of its image
    if isinstance(reader, NibabelReader):  # (x, y[, 1, ...]) -> rows first, as ITK and PIL give
        while array.ndim > 2 and array.shape[-1] == 1:
            array = array[..., 0]
        return np.swapaxes(array, 0, 1) if array.ndim >= 2 else array
    if isinstance(reader, ITKReader):  # a 2-D slice stored as a 3-D volume: (1, rows, columns)
        while array.ndim > 2 and array.shape[0] == 1:
            array = array[0]
    return array


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
        array = _read(path, keep_alpha)
    except Exception as e:  # PIL, nibabel, ITK and the OS raise many types for a bad file
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
