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
"""A transform that makes a one-slice volume the 2-D image it is (a DICOM or NIfTI radiograph stored as 3-D)."""

from __future__ import annotations

from monai.config import KeysCollection
from monai.data import MetaTensor
from monai.transforms import MapTransform, SqueezeDim

from nlcen_monai.data.checks import BadInputError

__all__ = ["EnsurePlanard"]


class EnsurePlanard(MapTransform):
    """Drop trailing spatial axes of size 1 from channel-first images, so that they have two spatial axes.

    A radiograph saved as a volume of one slice (``(C, W, H, 1)`` once channel-first) is a 2-D image;
    MONAI's ``SqueezeDim`` drops the axis and updates the affine, so a mask inverted to the input's grid
    keeps its pixel spacing. A true volume (more than one slice) is refused, naming the file.

    Args:
        keys: keys of the channel-first images.
        allow_missing_keys: don't raise for a missing key.
    """

    def __init__(self, keys: KeysCollection, allow_missing_keys: bool = False) -> None:
        super().__init__(keys, allow_missing_keys)
        self.squeeze = SqueezeDim(dim=-1, update_meta=True)

    def __call__(self, data: dict) -> dict:
        d = dict(data)
        for key in self.key_iterator(d):
            image = d[key]
            while image.ndim > 3 and image.shape[-1] == 1:
                image = self.squeeze(image)
            if image.ndim != 3:
                source = image.meta.get("filename_or_obj", key) if isinstance(image, MetaTensor) else key
                raise BadInputError(
                    f"{source}: expected a 2-D image, got spatial shape {tuple(image.shape[1:])} (a volume?)."
                )
            d[key] = image
        return d
