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
"""Pyramid pooling module (Zhao et al., "Pyramid Scene Parsing Network", CVPR 2017), used by SLSDeep.

MONAI has atrous pyramids (``SimpleASPP``) but not PSPNet's adaptive-average-pooling pyramid.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from monai.networks.blocks import Convolution
from monai.networks.layers.factories import Pool

__all__ = ["PyramidPooling"]


class PyramidPooling(nn.Module):
    """``cat([x, up(conv1x1(avgpool_s(x))) for s in pool_scales])`` along channels.

    Each branch average-pools the input to an ``s x s`` grid, projects it with a 1x1
    convolution + norm + activation to ``branch_channels`` and up-samples it (bilinear /
    trilinear) back to the input size. The output has
    ``in_channels + len(pool_scales) * branch_channels`` channels (``self.out_channels``).

    Args:
        spatial_dims: number of spatial dimensions.
        in_channels: number of input channels.
        branch_channels: output channels of each pooling branch.
        pool_scales: output grid sizes of the adaptive average pooling (PSPNet: 1, 2, 3, 6).
        act: activation of the branch projections.
        norm: normalisation of the branch projections. With BatchNorm, the ``1 x 1`` branch needs a
            training batch of at least two images (as in PSPNet and SLSDeep).
    """

    def __init__(
        self,
        spatial_dims: int,
        in_channels: int,
        branch_channels: int,
        pool_scales: Sequence[int] = (1, 2, 3, 6),
        act: str | tuple = ("relu", {"inplace": True}),
        norm: str | tuple | None = ("batch", {}),
    ) -> None:
        super().__init__()
        self.branches = nn.ModuleList(
            nn.Sequential(
                Pool[Pool.ADAPTIVEAVG, spatial_dims](scale),
                Convolution(spatial_dims, in_channels, branch_channels, kernel_size=1, act=act, norm=norm, bias=False),
            )
            for scale in pool_scales
        )
        self.interp_mode = {1: "linear", 2: "bilinear", 3: "trilinear"}[spatial_dims]
        self.out_channels = in_channels + len(pool_scales) * branch_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        size = x.shape[2:]
        outs = [x]
        for branch in self.branches:
            outs.append(F.interpolate(branch(x), size=size, mode=self.interp_mode, align_corners=False))
        return torch.cat(outs, dim=1)
