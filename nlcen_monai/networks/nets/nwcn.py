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
"""NWCN (Hwang and Park 2017): two atrous-convolution networks, the second refining the first."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn as nn
from monai.networks.blocks import Convolution

from ..blocks.encoder_decoder import EncoderDecoder

__all__ = ["NWCN"]


class NWCN(nn.Module):
    """Network-wise trained convolutional networks of Hwang and Park, "Accurate Lung Segmentation
    via Network-Wise Training of Convolutional Networks" (DLMIA 2017, arXiv:1708.00710),
    optionally with one NLCE per sub-network.

    Each sub-network is an encoder-decoder whose encoder ends in *atrous* convolutions: levels of
    two 3x3 convolutions with 2x max-pooling (3 down-samplings, ``features`` channels), then 3x3
    convolutions with dilation rates ``dilations`` at 1/8 resolution, which enlarge the field of
    view without further down-sampling; the decoder up-samples with 2x2 transposed convolutions
    (each followed by two 3x3 convolutions, no skip connections) and a 1x1 convolution gives the
    logits. Network-wise training: sub-network 1 (``stage1``) sees the image; sub-network 2
    (``stage2``) sees the image concatenated with sub-network 1's softmax probabilities and
    produces the final, refined segmentation. With ``nlce=True`` each sub-network has an NLCE after
    its atrous block (``stage1.nlce`` and ``stage2.nlce``; ``nn.Identity`` otherwise), the paper's
    "two NLCE modules because it has two subnetworks".

    In training mode the output is ``torch.stack([stage2_logits, stage1_logits], dim=1)`` of shape
    ``(B, 2, out_channels, *spatial)`` (final prediction first, like MONAI's ``DynUNet`` deep
    supervision), for ``get_loss("nwcn")`` (cross entropy on each stage); in eval mode it is the
    refined logits ``(B, out_channels, *spatial)``.

    Deviations: the paper trains the stages one after the other (stage 2 on the frozen stage 1's
    outputs); here both are trained jointly with a loss on each output, and gradients flow
    through stage 1 into stage 2's input (freeze ``stage1``'s parameters to train network-wise).
    The layer widths and rates are this implementation's choice (the paper's exact table is not
    reproduced); BatchNorm after each convolution.

    Args:
        spatial_dims: number of spatial dimensions.
        in_channels: number of input channels.
        out_channels: number of output channels (classes).
        nlce: put an NLCE in each sub-network between its atrous block and its first up-sampling.
        features: channels per encoder level (the last one at 1/8 resolution also is the atrous
            block's width). Default ``(32, 64, 128, 256)``.
        dilations: dilation rates of the cascaded atrous 3x3 convolutions. Default ``(2, 4, 8)``.
        act: activation.
        norm: normalisation after each convolution, or ``None``.
        dropout: dropout after each convolution.
        nlce_kwargs: extra arguments of :class:`~nlcen_monai.networks.blocks.NLCE`.

    Input sizes must be divisible by ``2 ** (len(features) - 1)`` (8 by default; attribute ``divisor``).
    """

    def __init__(
        self,
        spatial_dims: int = 2,
        in_channels: int = 1,
        out_channels: int = 2,
        nlce: bool = False,
        features: Sequence[int] = (32, 64, 128, 256),
        dilations: Sequence[int] = (2, 4, 8),
        act: str | tuple = ("relu", {"inplace": True}),
        norm: str | tuple | None = ("batch", {}),
        dropout: float | tuple = 0.0,
        nlce_kwargs: dict | None = None,
    ) -> None:
        super().__init__()

        def sub_network(n_in: int) -> EncoderDecoder:
            width = features[-1]
            atrous = nn.Sequential(
                *(
                    Convolution(
                        spatial_dims, width, width, act=act, norm=norm, dropout=dropout, dilation=d, padding=d
                    )
                    for d in dilations
                )
            )
            return EncoderDecoder(
                spatial_dims,
                n_in,
                out_channels,
                features,
                skip_connections=False,
                nlce=nlce,
                nlce_kwargs=nlce_kwargs,
                context=atrous,
                act=act,
                norm=norm,
                dropout=dropout,
                upsample="deconv",
                halves=True,
            )

        self.stage1 = sub_network(in_channels)
        self.stage2 = sub_network(in_channels + out_channels)
        self.divisor = self.stage1.divisor

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """
        Args:
            x: input of shape ``(B, in_channels, *spatial)``.

        Returns:
            eval: refined logits ``(B, out_channels, *spatial)``; training: ``(B, 2, out_channels,
            *spatial)`` with the refined (stage 2) logits first and stage 1's second.
        """
        coarse = self.stage1(x)
        refined = self.stage2(torch.cat([x, torch.softmax(coarse, dim=1)], dim=1))
        if self.training:
            return torch.stack([refined, coarse], dim=1)
        return refined
