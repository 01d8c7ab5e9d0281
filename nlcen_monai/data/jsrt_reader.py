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
"""A MONAI ``ImageReader`` for JSRT ``.IMG`` raw chest radiographs (no conversion step).

``LoadImage(reader=JSRTImageReader())`` reads a ``.IMG`` file straight into grey levels 0..255,
with the same scaling and polarity as ``data_prep/jsrt.py`` (both call
:func:`~nlcen_monai.data.jsrt_raw.jsrt_to_grey`). It is not added to MONAI's global ``SUPPORTED_READERS``:
the transform chains (:func:`~nlcen_monai.data.load_image_transforms`) register it on their own loader,
and anything else names it (``reader="nlcen_monai.data.JSRTImageReader"``, or an instance).

Errors: when the reader is given to ``LoadImage`` (by instance, class or name), MONAI tries it and then
every other reader, catching each one's exception, and finally raises "cannot find a suitable reader
... install the reader libraries", burying what was wrong with the file. So for a file that is this
reader's to read (a ``.IMG`` without an Analyze ``.hdr``) :meth:`JSRTImageReader.read` does not raise:
it returns the error, and :meth:`JSRTImageReader.get_data`, which ``LoadImage`` calls outside its
reader loop, raises it, so the user sees e.g. "<file>: truncated JSRT raw file: ... bytes, expected ...".
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from monai.data import ImageReader
from monai.data.utils import is_supported_format
from monai.utils import MetaKeys, ensure_tuple

from nlcen_monai.data.jsrt_raw import JSRT_INVERT, JSRT_SHAPE, jsrt_to_grey, read_jsrt_raw
from nlcen_monai.data.checks import BadInputError

__all__ = ["JSRTImageReader"]


class JSRTImageReader(ImageReader):
    """Read JSRT ``.IMG`` files (headerless 12-bit big-endian raw) as grey levels in [0, 255].

    Args:
        shape: rows and columns stored in each file; 2048 x 2048 for JSRT.
        invert: display polarity; the default (``True``, the JSRT convention) makes lungs dark.
            ``data_prep/jsrt.py`` checks this convention on every case against its mask.
        reverse_indexing: swap the two spatial axes after reading, as MONAI's ``PILReader`` does
            by default, so a ``.IMG`` and the PNG the converter writes from it load identically.

    Example::

        LoadImaged(keys="image", reader="nlcen_monai.data.JSRTImageReader")
        # bundle config: "reader": "$nlcen_monai.data.JSRTImageReader"
        # or: "reader": {"_target_": "nlcen_monai.data.JSRTImageReader", "shape": [2048, 2048]}
    """

    def __init__(
        self, shape: Sequence[int] = JSRT_SHAPE, invert: bool = JSRT_INVERT, reverse_indexing: bool = True
    ) -> None:
        super().__init__()
        if len(shape) != 2 or min(shape) < 1:
            raise ValueError(f"shape must be two positive integers (rows, columns), got {shape}.")
        self.shape = tuple(int(s) for s in shape)
        self.invert = bool(invert)
        self.reverse_indexing = reverse_indexing

    def verify_suffix(self, filename: Sequence[str] | str) -> bool:
        """Whether every file ends with ``.img`` (any case) and has no Analyze ``.hdr`` beside it.

        Args:
            filename: one file name or a list of them.
        """
        names = ensure_tuple(filename)
        return is_supported_format(names, ["img"]) and not any(
            Path(n).with_suffix(s).exists() for n in names for s in (".hdr", ".HDR")
        )

    def read(self, data: Sequence[str] | str, **kwargs) -> np.ndarray | list[np.ndarray]:
        """Read one file, or several to be stacked as channels, into uint8 grey images.

        Args:
            data: file name or a list of file names.
            kwargs: unused; accepted for compatibility with ``ImageReader.read``.

        Returns:
            the image, or a list of images; for a ``.IMG`` file that cannot be used (truncated, wrong size,
            not 12-bit, constant), a one-element list holding the error, which :meth:`get_data` raises.

        Raises:
            BadInputError: a file that is not this reader's (another suffix) cannot be read.
        """
        names = ensure_tuple(data)
        try:
            images = [jsrt_to_grey(read_jsrt_raw(n, self.shape), self.invert) for n in names]
        except BadInputError as e:
            if not self.verify_suffix(names):
                raise  # not a JSRT file: let LoadImage try its other readers
            return [e]  # a JSRT file with a problem: get_data raises it where LoadImage does not catch it
        return images if len(names) > 1 else images[0]

    def get_data(self, img: np.ndarray | list[np.ndarray]) -> tuple[np.ndarray, dict]:
        """Return the image array (channels first when several files were read) and its metadata.

        Args:
            img: the output of :meth:`read`.

        Raises:
            BadInputError: :meth:`read` found the file truncated, of the wrong size or not 12-bit.
        """
        if isinstance(img, list) and len(img) == 1 and isinstance(img[0], BadInputError):
            raise img[0]
        images = img if isinstance(img, (list, tuple)) else [img]  # not ensure_tuple: it would iterate rows
        arrays = [np.moveaxis(a, 0, 1) if self.reverse_indexing else a for a in images]
        spatial = np.asarray(arrays[0].shape)
        meta = {
            MetaKeys.SPATIAL_SHAPE: spatial,
            MetaKeys.ORIGINAL_CHANNEL_DIM: float("nan") if len(arrays) == 1 else 0,
            MetaKeys.AFFINE: np.eye(3),
            MetaKeys.ORIGINAL_AFFINE: np.eye(3),
            "format": "JSRT",
        }
        data = arrays[0] if len(arrays) == 1 else np.stack(arrays, axis=0)
        return data, meta

