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
"""A wrapper that takes images in the [0, 255] pixel domain and normalises them inside the model.

Keeping normalisation inside the network is what makes an attack's ``eps`` a number of grey
levels, whatever the data set: data pipelines hand [0, 255] images to the model, attacks perturb
those pixels, and only then are they standardised.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn as nn

__all__ = ["PixelNormalizedNet"]


class PixelNormalizedNet(nn.Module):
    """``network((x - mean) / std)`` for images ``x`` in the [0, 255] pixel domain.

    Args:
        network: the segmentation network to wrap (any ``nn.Module``).
        mean: per-channel mean in grey levels, a float or one value per channel.
        std: per-channel standard deviation in grey levels, a float or one value per channel.

    The wrapped network is reachable as ``.network``, so its state dict keys are prefixed with
    ``network.``.
    """

    def __init__(
        self, network: nn.Module, mean: float | Sequence[float] = 127.5, std: float | Sequence[float] = 64.0
    ) -> None:
        super().__init__()
        self.network = network
        mean_t = torch.as_tensor(mean, dtype=torch.float32).reshape(1, -1)
        std_t = torch.as_tensor(std, dtype=torch.float32).reshape(1, -1)
        if torch.any(std_t <= 0):
            raise ValueError(f"std must be positive, got {std}.")
        self.register_buffer("mean", mean_t, persistent=False)
        self.register_buffer("std", std_t, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = [1, -1] + [1] * (x.dim() - 2)
        return self.network((x - self.mean.reshape(shape).to(x.dtype)) / self.std.reshape(shape).to(x.dtype))
