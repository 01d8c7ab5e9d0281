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
"""A transform that gives an image the number of channels a network expects (grey <-> RGB)."""

from __future__ import annotations

import torch
from monai.config import KeysCollection
from monai.transforms import MapTransform

__all__ = ["match_channels", "MatchChanneld"]

# ITU-R BT.601 luma weights, as PIL's convert("L") uses
_LUMA = (0.299, 0.587, 0.114)


def match_channels(image: torch.Tensor, num_channels: int) -> torch.Tensor:
    """Convert a channel-first image to num_channels channels.

    RGBA loses its alpha; RGB becomes grey with the BT.601 luma weights when one channel is wanted;
    grey is repeated when three are wanted. Raises ValueError for any other combination.
    """
    channels = image.shape[0]
    if channels == 4:
        image, channels = image[:3], 3
    if channels == num_channels:
        return image
    if channels == 3 and num_channels == 1:
        weights = torch.as_tensor(_LUMA, dtype=image.dtype if image.is_floating_point() else torch.float32)
        return (image.float() * weights.reshape(3, *([1] * (image.dim() - 1)))).sum(0, keepdim=True)
    if channels == 1 and num_channels == 3:
        return image.repeat(3, *([1] * (image.dim() - 1)))
    raise ValueError(f"cannot convert an image with {channels} channels to {num_channels} channels.")


class MatchChanneld(MapTransform):
    """Dictionary version of :func:`match_channels`.

    Args:
        keys: keys of the channel-first images to convert.
        num_channels: the number of channels the network expects (1 or 3).
    """

    def __init__(self, keys: KeysCollection, num_channels: int) -> None:
        super().__init__(keys)
        self.num_channels = num_channels

    def __call__(self, data: dict) -> dict:
        d = dict(data)
        for key in self.key_iterator(d):
            d[key] = match_channels(d[key], self.num_channels)
        return d
