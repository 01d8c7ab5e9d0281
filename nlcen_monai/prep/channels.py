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
"""One channel count per data set: find the one most images have, and bring the others to it.

A folder of radiographs can hold a few RGB files (a JPEG saved as ``.png``, a screenshot) among grey
ones. Written as they are, the data set mixes 1- and 3-channel images and fails later in the
transforms; the converters decide the count once and convert (and name) the odd files.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from PIL import Image

from nlcen_monai.data.checks import BadInputError
from nlcen_monai.prep.image_io import RASTER_SUFFIXES, read_image_2d

__all__ = ["probe_channels", "majority_channels", "choose_channels", "convert_channels"]

_PIL_GREY_MODES = {"1", "L", "LA", "La", "I", "I;16", "I;16B", "I;16L", "F"}


def probe_channels(path: os.PathLike | str) -> int | None:
    """1 (grey) or 3 (colour): what :func:`~nlcen_monai.prep.image_io.read_image_2d` would give.

    Raster files are probed from their header (no decoding) except palette files; other formats are read.

    Args:
        path: an image file.

    Returns:
        the channel count, or ``None`` when the file cannot be read (the conversion reports it).
    """
    path = Path(path)
    try:
        if path.name.lower().endswith(RASTER_SUFFIXES):
            with Image.open(path) as im:
                if im.mode != "P":
                    return 1 if im.mode in _PIL_GREY_MODES else 3
        return 3 if read_image_2d(path).ndim == 3 else 1
    except (OSError, ValueError, BadInputError):
        return None


def majority_channels(paths: Iterable[os.PathLike | str]) -> tuple[int, dict[int, int]]:
    """The channel count of most images (3 on a tie, which loses nothing), and the count of each.

    Args:
        paths: image files; unreadable ones are left out of the vote.
    """
    votes = Counter(c for c in map(probe_channels, paths) if c is not None)
    return (1 if votes[1] > votes[3] else 3), dict(sorted(votes.items()))


def choose_channels(image_paths: Iterable[os.PathLike | str], requested: int | None) -> tuple[int, str]:
    """The channel count for a whole data set, and why (for the conversion's summary).

    Args:
        image_paths: the images to convert.
        requested: ``--channels`` (1 or 3), or ``None`` for the count most images have.
    """
    if requested is not None:
        return requested, f"--channels {requested}"
    channels, votes = majority_channels(image_paths)
    counts = ", ".join(f"{n} {'RGB' if c == 3 else 'grey'}" for c, n in votes.items())
    return channels, f"the majority of the images: {counts}; choose with --channels"


def convert_channels(image: np.ndarray, channels: int, path: os.PathLike | str, colour_to_grey: bool = True) -> np.ndarray:
    """Bring a uint8 image to ``channels`` channels: grey repeated to RGB, or RGB to grey (ITU-R 601 luma).

    Args:
        image: uint8 (H, W) or (H, W, 3).
        channels: 1 or 3.
        path: the file it came from, for the error message.
        colour_to_grey: whether an RGB image with distinct channels may be made grey; when ``False``
            only RGB files whose three channels are equal are (losslessly) accepted as grey.

    Raises:
        BadInputError: ``colour_to_grey`` is ``False`` and the image has distinct colour channels.
    """
    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 or 3, got {channels}.")
    if channels == 3:
        return image if image.ndim == 3 else np.repeat(image[..., None], 3, axis=-1)
    if image.ndim == 2:
        return image
    if (image == image[..., :1]).all():
        return image[..., 0]
    if not colour_to_grey:
        raise BadInputError(f"{path}: expected a grey image, found distinct colour channels.")
    return np.asarray(Image.fromarray(image).convert("L"))
