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
"""InvertedNet (Novikov et al., IEEE TMI 2018) with an optional NLCE at its bottleneck."""

from __future__ import annotations

from collections.abc import Sequence

from ..blocks.encoder_decoder import EncoderDecoder

__all__ = ["InvertedNet"]


class InvertedNet(EncoderDecoder):
    """InvertedNet of Novikov et al., "Fully Convolutional Architectures for Multi-Class
    Segmentation in Chest Radiographs" (IEEE TMI 2018), optionally with an NLCE.

    InvertedNet is a U-Net variant with fewer parameters: (1) *delayed sub-sampling*: the first
    max-pooling is moved one level down, so the two shallowest levels both work at full
    resolution and learn higher-resolution features; (2) *inverted feature counts*: the number of
    feature maps decreases with depth (256, 128, 64, 32, 16 by default) instead of increasing
    (U-Net: 64 ... 1024). Levels are two 3x3 convolutions with ELU, skip concatenations as in
    U-Net, 2x2 up-convolutions, and a final 1x1 convolution. With ``nlce=True`` an NLCE processes
    the deepest (16-feature) level (attribute ``nlce``; ``nn.Identity`` otherwise).

    Deviations: BatchNorm after each convolution by default (``norm=None`` for the paper's plain
    ELU network); the paper regularises with dropout after every convolution (its "All-Dropout"
    base), exposed here as ``dropout`` (0 by default so that all baselines train alike); "same"
    padding.

    Args:
        spatial_dims: number of spatial dimensions.
        in_channels: number of input channels.
        out_channels: number of output channels (classes).
        nlce: put an NLCE between the last down-sampling and the first up-sampling.
        features: channels per level, shallowest first (paper: ``(256, 128, 64, 32, 16)``).
        delayed_levels: how many of the shallowest levels run at full resolution (paper: 2, i.e. the
            first pooling is delayed by one level; 1 gives the U-Net pooling pattern).
        act: activation (paper: ELU).
        norm: normalisation after each convolution, or ``None``.
        bias: convolution bias.
        dropout: dropout after each convolution.
        nlce_kwargs: extra arguments of :class:`~nlcen_monai.networks.blocks.NLCE`.

    Input sizes must be divisible by ``2 ** (len(features) - delayed_levels)`` (8 by default; attribute ``divisor``).
    """

    def __init__(
        self,
        spatial_dims: int = 2,
        in_channels: int = 1,
        out_channels: int = 2,
        nlce: bool = False,
        features: Sequence[int] = (256, 128, 64, 32, 16),
        delayed_levels: int = 2,
        act: str | tuple = ("elu", {"inplace": True}),
        norm: str | tuple | None = ("batch", {}),
        bias: bool = True,
        dropout: float | tuple = 0.0,
        nlce_kwargs: dict | None = None,
    ) -> None:
        if not 1 <= delayed_levels < len(features):
            raise ValueError(f"delayed_levels must be in [1, {len(features) - 1}], got {delayed_levels}.")
        super().__init__(
            spatial_dims=spatial_dims,
            in_channels=in_channels,
            out_channels=out_channels,
            features=features,
            downsample=[False] * delayed_levels + [True] * (len(features) - delayed_levels),
            skip_connections=True,
            nlce=nlce,
            nlce_kwargs=nlce_kwargs,
            act=act,
            norm=norm,
            bias=bias,
            dropout=dropout,
            upsample="deconv",
            halves=False,  # the decoder widens again: the up-convolution keeps the (few) channels
        )
