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
"""The one rule that brings any image to the network's grey levels 0..255, for training and inference alike.

The networks take pixels in [0, 255] (:class:`~nlcen_monai.networks.nets.PixelNormalizedNet` normalises
them inside). The converters of :mod:`nlcen_monai.prep` write their images through :func:`to_uint8`,
and the bundles' transform chains apply the same function to every image they load
(:class:`GreyLevelsd`), so a 16-bit or 12-bit file gives the network what its 8-bit copy gives:

- an 8-bit image (or integers already within 0..255) is kept as it is;
- a boolean image becomes 0/255;
- anything else (12-bit values stored in 16 bits, 16-bit, signed, float) is stretched linearly from its
  own minimum to 0 and its own maximum to 255, then rounded;
- a constant image (a blank export, or nothing to stretch) or one holding NaN is refused, naming the
  file: it would give a meaningless mask without a word.

DICOM files reach this rule already in display grey levels 0..255 (the modality and VOI transforms of
:class:`~nlcen_monai.data.RadiographDicomReader`), where it changes nothing.
"""

from __future__ import annotations

import os

import numpy as np
import torch
from monai.config import KeysCollection
from monai.data import MetaTensor
from monai.transforms import MapTransform

from nlcen_monai.data.checks import check_finite, check_not_constant

__all__ = ["to_uint8", "GreyLevelsd"]


def to_uint8(image: np.ndarray, path: os.PathLike | str) -> np.ndarray:
    """Bring an image to uint8 grey levels 0..255 by the rule of this module.

    Args:
        image: (rows, columns) or (rows, columns, channels) pixels, in the file's own dtype.
        path: the file it came from, for the error message.

    Raises:
        BadInputError: the image holds NaN or infinite values, or is constant.
    """
    check_finite(image, path)
    check_not_constant(image, path)
    if image.dtype == np.uint8:
        return image
    if image.dtype == bool:
        return image.astype(np.uint8) * 255
    values = image.astype(np.float64)
    lo, hi = float(values.min()), float(values.max())
    if lo >= 0 and hi <= 255 and np.array_equal(values, np.round(values)):
        return values.astype(np.uint8)
    return np.rint((values - lo) * (255.0 / (hi - lo))).astype(np.uint8)


class GreyLevelsd(MapTransform):
    """Apply :func:`to_uint8` to channel-first images as loaded (in their file's dtype); float32 out, metadata kept.

    Load the images with ``LoadImaged(..., dtype=None)`` so that the rule sees the file's own values.

    Args:
        keys: keys of the channel-first images.
        allow_missing_keys: don't raise for a missing key.
    """

    def __init__(self, keys: KeysCollection, allow_missing_keys: bool = False) -> None:
        super().__init__(keys, allow_missing_keys)

    def __call__(self, data: dict) -> dict:
        d = dict(data)
        for key in self.key_iterator(d):
            image = d[key]
            source = image.meta.get("filename_or_obj", key) if isinstance(image, MetaTensor) else key
            array = np.asarray(image.detach().cpu() if isinstance(image, torch.Tensor) else image)
            grey = to_uint8(np.moveaxis(array, 0, -1), source)  # channels last, as the rule's checks expect
            pixels = torch.from_numpy(np.ascontiguousarray(np.moveaxis(grey, -1, 0))).float()
            d[key] = MetaTensor(pixels, meta=image.meta, applied_operations=image.applied_operations) if isinstance(
                image, MetaTensor
            ) else pixels
        return d
