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
"""JSRT ``.IMG`` raw files: reading, 12-bit to grey-level scaling and display polarity.

One place for the conversion that both ``data_prep/jsrt.py`` (the converter) and
:class:`~nlcen_monai.data.JSRTImageReader` (the MONAI reader) apply, so that a raw file read
either way gives the same pixels.

A JSRT ``.IMG`` is 2048 x 2048 unsigned 16-bit big-endian samples with 12 significant bits and no
header. No imaging library reads a headerless raw file without a side-car header, so the reading
is written here with ``numpy.fromfile``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage

from nlcen_monai.data.checks import BadInputError, check_not_constant

__all__ = ["JSRT_SHAPE", "JSRT_MAX_VALUE", "JSRT_INVERT", "read_jsrt_raw", "jsrt_to_grey", "lungs_are_dark"]

JSRT_SHAPE: tuple[int, int] = (2048, 2048)
"""Rows and columns of a JSRT ``.IMG`` file."""

JSRT_MAX_VALUE: int = 4095
"""Largest 12-bit sample."""

JSRT_INVERT: bool = True
"""The JSRT convention: raw samples are bright where the film is dark, so display inverts them.

The converter does not trust it: it checks every case against its lung mask (lungs must be dark)
and reports the cases where the mask disagrees.
"""


def read_jsrt_raw(path: os.PathLike | str, shape: Sequence[int] = JSRT_SHAPE) -> np.ndarray:
    """Read a JSRT ``.IMG`` file into a (rows, columns) uint16 array of 12-bit samples.

    Args:
        path: the ``.IMG`` file.
        shape: rows and columns stored in the file (2048 x 2048 for JSRT; smaller for tests).

    Raises:
        BadInputError: the file is missing, truncated, too long for ``shape``, holds samples
            above 4095 (not 12-bit big-endian data, e.g. a little-endian file) or one value only.
    """
    path = Path(path)
    rows, cols = (int(s) for s in shape)
    expected = rows * cols * 2
    try:
        size = path.stat().st_size
    except OSError as e:
        raise BadInputError(f"{path}: cannot read JSRT raw file ({e.strerror or e}).") from e
    if size < expected:
        raise BadInputError(
            f"{path}: truncated JSRT raw file: {size} bytes, expected {expected} "
            f"({cols} x {rows} unsigned 16-bit samples)."
        )
    if size > expected:
        raise BadInputError(
            f"{path}: wrong size for a JSRT raw file: {size} bytes, expected {expected} "
            f"({cols} x {rows} unsigned 16-bit samples, no header)."
        )
    try:
        raw = np.fromfile(path, dtype=">u2").reshape(rows, cols)
    except OSError as e:
        raise BadInputError(f"{path}: cannot read JSRT raw file ({e}).") from e
    top = int(raw.max())
    if top > JSRT_MAX_VALUE:
        raise BadInputError(
            f"{path}: sample value {top} exceeds {JSRT_MAX_VALUE}: not 12-bit big-endian data "
            "(little-endian or a different format?)."
        )
    check_not_constant(raw, path)
    return raw.astype(np.uint16)


def jsrt_to_grey(raw: np.ndarray, invert: bool = JSRT_INVERT) -> np.ndarray:
    """Scale 12-bit samples to uint8 grey levels 0..255 (rounded), optionally inverted.

    ``grey = round(v * 255 / 4095)`` with ``v = 4095 - raw`` when ``invert`` else ``raw``. Computed
    in integers, so it is exact; ``jsrt_to_grey(raw, False) == 255 - jsrt_to_grey(raw, True)``.

    Args:
        raw: 12-bit samples (any integer dtype).
        invert: display polarity: ``True`` maps the largest sample to black.
    """
    v = raw.astype(np.int64)
    if invert:
        v = JSRT_MAX_VALUE - v
    return ((v * 255 + JSRT_MAX_VALUE // 2) // JSRT_MAX_VALUE).astype(np.uint8)


def lungs_are_dark(image: np.ndarray, mask: np.ndarray, ring: float = 0.05) -> bool:
    """Whether the lungs are darker than the body around them (normal radiograph display).

    Compares the mean grey level inside ``mask`` with the mean over a ring just outside it
    (mediastinum, heart, diaphragm, chest wall), ``ring`` times the image side wide. A plain
    inside-versus-everything-outside test is fooled by the dark air around the body: on
    JPCLN128 of the JSRT PNG copy the lungs average 188.0 and the rest 186.4, although the image
    is displayed normally; with the ring the margin is 7 grey levels there and at least 23 on the
    other 246 cases. Both arrays are brought to a 256 x 256 grid first, which is plenty for a mean.

    Args:
        image: a (rows, columns) grey image.
        mask: a boolean lung mask, on the image's grid or any other grid of the same aspect ratio.
        ring: width of the surrounding ring as a fraction of the image side.
    """
    grid = (256, 256)
    pixels = image if image.dtype == np.uint8 else np.asarray(image, dtype=np.float32)
    small = np.asarray(Image.fromarray(pixels).resize(grid, Image.Resampling.BILINEAR), dtype=np.float64)
    lungs = np.asarray(Image.fromarray(mask.astype(np.uint8)).resize(grid, Image.Resampling.NEAREST)).astype(bool)
    if not lungs.any() or lungs.all():
        raise ValueError("lungs_are_dark needs a mask with both foreground and background.")
    distance = ndimage.distance_transform_edt(~lungs)
    around = (distance > 0) & (distance <= max(1.0, ring * grid[0]))
    return bool(small[lungs].mean() < small[around].mean())
