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
"""U-Net (Ronneberger, Fischer and Brox, MICCAI 2015) with an optional NLCE at its bottleneck.

A thin subclass of MONAI's :class:`~monai.networks.nets.BasicUNet`, which already is the paper's
network (four 2x max-poolings, two 3x3 convolutions per level, up-convolutions, skip
concatenations); only ``forward`` is re-stated to route the bottleneck through the NLCE slot.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from monai.networks.nets import BasicUNet

from ..blocks.encoder_decoder import nlce_slot

__all__ = ["UNet"]


class UNet(BasicUNet):
    """U-Net of Ronneberger et al. 2015, optionally with an NLCE (He et al. 2019, Generalization).

    Structure (paper Fig. 1): a contracting path of five levels with 64, 128, 256, 512, 1024
    features, each two 3x3 convolutions + ReLU, with 2x2 max-pooling between levels (4
    down-samplings); an expansive path of 2x2 up-convolutions halving the features, concatenation
    with the contracting path's features and two 3x3 convolutions; a final 1x1 convolution. With
    ``nlce=True`` an :class:`~nlcen_monai.networks.blocks.NLCE` processes the 1024-feature bottleneck
    (attribute ``nlce``; ``nn.Identity`` otherwise).

    Deviations from the paper: "same" padding, so the output has the input's size (the paper uses
    unpadded convolutions and crops the skip features); BatchNorm after every convolution by
    default (``norm=None`` removes it); MONAI's last up-convolution keeps 128 channels instead of
    halving to 64 before the concatenation (``BasicUNet``'s ``upcat_1``), which adds ~0.2 M
    parameters.

    Args:
        spatial_dims: number of spatial dimensions.
        in_channels: number of input channels.
        out_channels: number of output channels (classes).
        nlce: put an NLCE between the last down-sampling and the first up-sampling.
        features: six integers, MONAI ``BasicUNet`` convention: the five level widths and the
            width of the last decoder level. Paper: ``(64, 128, 256, 512, 1024, 64)``.
        act: activation (paper: ReLU).
        norm: normalisation after each convolution; ``None`` for the original U-Net.
        bias: convolution bias.
        dropout: dropout after each convolution (the paper uses drop-out at the end of the
            contracting path only; 0 by default).
        upsample: ``"deconv"`` (the paper's up-convolution), ``"nontrainable"`` or ``"pixelshuffle"``.
        nlce_kwargs: extra arguments of :class:`~nlcen_monai.networks.blocks.NLCE`.

    Input sizes must be divisible by 16 (attribute ``divisor``).
    """

    def __init__(
        self,
        spatial_dims: int = 2,
        in_channels: int = 1,
        out_channels: int = 2,
        nlce: bool = False,
        features: Sequence[int] = (64, 128, 256, 512, 1024, 64),
        act: str | tuple = ("relu", {"inplace": True}),
        norm: str | tuple | None = ("batch", {}),
        bias: bool = True,
        dropout: float | tuple = 0.0,
        upsample: str = "deconv",
        nlce_kwargs: dict | None = None,
    ) -> None:
        super().__init__(
            spatial_dims=spatial_dims,
            in_channels=in_channels,
            out_channels=out_channels,
            features=features,
            act=act,
            norm=norm,
            bias=bias,
            dropout=dropout,
            upsample=upsample,
        )
        self.nlce = nlce_slot(spatial_dims, features[4], nlce, nlce_kwargs)
        self.divisor = 16  # four 2x down-samplings

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """
        Args:
            x: input of shape ``(B, in_channels, *spatial)``, spatial sizes divisible by 16.

        Returns:
            logits of shape ``(B, out_channels, *spatial)``.
        """
        x0 = self.conv_0(x)
        x1 = self.down_1(x0)
        x2 = self.down_2(x1)
        x3 = self.down_3(x2)
        x4 = self.nlce(self.down_4(x3))
        u4 = self.upcat_4(x4, x3)
        u3 = self.upcat_3(u4, x2)
        u2 = self.upcat_2(u3, x1)
        u1 = self.upcat_1(u2, x0)
        return self.final_conv(u1)
