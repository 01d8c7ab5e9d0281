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
"""A dictionary transform that checks a loaded image/label pair and fails with the file's name.

MONAI's loaders accept NaN pixels, a 0/255 label or a label of another size silently; here each of
these raises :class:`~nlcen_monai.data.checks.BadInputError` naming the file, before resizing
can hide the problem.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping

import torch
from monai.config import KeysCollection
from monai.transforms import MapTransform
from monai.utils import ImageMetaKey

from nlcen_monai.data.checks import BadInputError

__all__ = ["CheckImageLabeld"]


def _source(x) -> str:
    meta = getattr(x, "meta", {})
    return str(meta.get(ImageMetaKey.FILENAME_OR_OBJ, "<in-memory image>"))


class CheckImageLabeld(MapTransform):
    """Check channel-first ``image`` and ``label`` tensors: finite image, expected channel count,
    single-channel binary {0, 1} label on the image's grid.

    Args:
        keys: ``(image_key, label_key)``; a missing label key is skipped (inference data).
        image_channels: the number of image channels required (1 grey, 3 RGB), or ``None``.
        allow_missing_keys: do not raise when the image key is missing.
    """

    def __init__(
        self, keys: KeysCollection = ("image", "label"), image_channels: int | None = None, allow_missing_keys: bool = False
    ) -> None:
        super().__init__(keys, allow_missing_keys)
        if len(self.keys) != 2:
            raise ValueError(f"keys must be (image_key, label_key), got {self.keys}.")
        self.image_channels = image_channels

    def __call__(self, data: Mapping[Hashable, torch.Tensor]) -> dict[Hashable, torch.Tensor]:
        d = dict(data)
        image_key, label_key = self.keys
        if image_key not in d:
            if self.allow_missing_keys:
                return d
            raise KeyError(f"key {image_key!r} not found in the data dictionary (keys: {list(d)}).")
        image = d[image_key]
        if not torch.isfinite(torch.as_tensor(image)).all():
            bad = "NaN" if torch.isnan(torch.as_tensor(image)).any() else "infinite values"
            raise BadInputError(f"{_source(image)}: image contains {bad}.")
        if self.image_channels is not None and image.shape[0] != self.image_channels:
            raise BadInputError(
                f"{_source(image)}: expected {self.image_channels} channel(s), found {image.shape[0]} "
                f"(loaded shape {tuple(image.shape)})."
            )
        if label_key in d:
            label = d[label_key]
            if label.shape[0] != 1:
                raise BadInputError(f"{_source(label)}: a label must have 1 channel, found {label.shape[0]}.")
            if tuple(label.shape[1:]) != tuple(image.shape[1:]):
                raise BadInputError(
                    f"{_source(label)}: label size {tuple(label.shape[1:])} does not match image "
                    f"{_source(image)} of size {tuple(image.shape[1:])}."
                )
            values = torch.unique(torch.as_tensor(label))
            if not bool(((values == 0) | (values == 1)).all()):
                raise BadInputError(
                    f"{_source(label)}: label is not binary {{0, 1}} (found {values[:8].tolist()}); "
                    "convert it with a data_prep converter."
                )
        return d
