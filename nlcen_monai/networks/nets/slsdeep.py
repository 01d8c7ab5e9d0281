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
"""SLSDeep (Sarker et al., MICCAI 2018): dilated residual encoder, pyramid pooling, skip decoder."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn as nn
from monai.networks.blocks import Convolution, UpSample
from monai.networks.layers.factories import Conv
from monai.networks.nets import ResNet
from monai.networks.nets.basic_unet import UpCat

from ..blocks.encoder_decoder import nlce_slot
from ..blocks.pyramid_pooling import PyramidPooling

__all__ = ["SLSDeep"]


def _stride_to_dilation(layer: nn.Sequential, dilation: int, conv_type: type) -> None:
    """Turn a strided ResNet stage into a dilated one of the same resolution (DeepLab / DRN).

    The stage's strides become 1; its 3x3 convolutions get dilation ``dilation`` (the first
    block ``dilation // 2``, as in the SLSDeep code and torchvision's ``replace_stride_with_dilation``)
    with matching padding, so pretrained-style weights keep their meaning.
    """
    for index, block in enumerate(layer):
        rate = max(1, dilation // 2) if index == 0 else dilation
        for module in block.modules():
            if not isinstance(module, conv_type):
                continue
            module.stride = (1,) * len(module.stride)
            if all(k == 3 for k in module.kernel_size):
                module.dilation = (rate,) * len(module.kernel_size)
                module.padding = (rate,) * len(module.kernel_size)


class SLSDeep(nn.Module):
    """SLSDeep of Sarker et al., "SLSDeep: Skin Lesion Segmentation Based on Dilated Residual and
    Pyramid Pooling Networks" (MICCAI 2018, arXiv:1805.10241), optionally with an NLCE.

    Encoder: a ResNet-50 (MONAI :class:`~monai.networks.nets.ResNet`, bottleneck blocks, layers
    ``(3, 4, 6, 3)``) whose last two stages are dilated (rates 2 and 4) instead of strided, so the
    features stay at 1/8 resolution (the authors' ``resnet50_dilated8``). Pyramid pooling module
    (PSPNet; scales 1, 2, 3, 6, 512 channels per branch) on the encoder output, fused by a 3x3
    convolution to ``ppm_channels``. Decoder: bilinear 2x up-sampling with skip concatenation of
    the encoder's 1/4-resolution (``layer1``) and 1/2-resolution (stem) features, two 3x3
    convolutions each, a 1x1 classifier and a final bilinear 2x up-sampling to the input size.
    Trained with NLL + EPE (``get_loss("slsdeep")``). With ``nlce=True`` an NLCE processes the
    encoder output before the pyramid pooling, i.e. between the last down-sampling and the first
    up-sampling (attribute ``nlce``; ``nn.Identity`` otherwise).

    Deviations: MONAI's ResNet stem (one 7x7 stride-2 convolution) instead of the authors' three
    3x3 convolutions; no ImageNet pre-training; the decoder's skip widths follow the paper's
    figure (the authors' released code up-samples without skips).

    Args:
        spatial_dims: number of spatial dimensions.
        in_channels: number of input channels.
        out_channels: number of output channels (classes).
        nlce: put an NLCE between the encoder and the pyramid pooling.
        layers: ResNet bottleneck blocks per stage (ResNet-50: ``(3, 4, 6, 3)``).
        features: ResNet ``block_inplanes`` per stage (``(64, 128, 256, 512)``; the stage outputs
            are 4 times these).
        ppm_channels: channels of each pyramid-pooling branch and of the fused map.
        pool_scales: pyramid-pooling grid sizes.
        decoder_features: output channels of the two decoder levels (1/4 and 1/2 resolution).
        act: activation of the pyramid pooling and decoder.
        norm: normalisation of the pyramid pooling and decoder.
        nlce_kwargs: extra arguments of :class:`~nlcen_monai.networks.blocks.NLCE`.

    Input sizes must be divisible by 8 (attribute ``divisor``).
    """

    def __init__(
        self,
        spatial_dims: int = 2,
        in_channels: int = 1,
        out_channels: int = 2,
        nlce: bool = False,
        layers: Sequence[int] = (3, 4, 6, 3),
        features: Sequence[int] = (64, 128, 256, 512),
        ppm_channels: int = 512,
        pool_scales: Sequence[int] = (1, 2, 3, 6),
        decoder_features: Sequence[int] = (256, 64),
        act: str | tuple = ("relu", {"inplace": True}),
        norm: str | tuple = ("batch", {}),
        nlce_kwargs: dict | None = None,
    ) -> None:
        super().__init__()
        self.encoder = ResNet(
            block="bottleneck",
            layers=list(layers),
            block_inplanes=list(features),
            spatial_dims=spatial_dims,
            n_input_channels=in_channels,
            conv1_t_stride=2,
            feed_forward=False,
        )
        conv_type = Conv[Conv.CONV, spatial_dims]
        _stride_to_dilation(self.encoder.layer3, 2, conv_type)
        _stride_to_dilation(self.encoder.layer4, 4, conv_type)
        encoder_channels = features[3] * 4  # bottleneck expansion
        self.nlce = nlce_slot(spatial_dims, encoder_channels, nlce, nlce_kwargs)
        self.ppm = PyramidPooling(spatial_dims, encoder_channels, ppm_channels, pool_scales, act=act, norm=norm)
        self.fuse = Convolution(
            spatial_dims, self.ppm.out_channels, ppm_channels, kernel_size=3, act=act, norm=norm, bias=False
        )
        up = {"upsample": "nontrainable", "pre_conv": None, "interp_mode": "linear", "align_corners": False}
        self.up_4 = UpCat(spatial_dims, ppm_channels, features[0] * 4, decoder_features[0], act, norm, False, **up)
        self.up_2 = UpCat(spatial_dims, decoder_features[0], features[0], decoder_features[1], act, norm, False, **up)
        self.head = conv_type(decoder_features[1], out_channels, kernel_size=1)
        self.up_1 = UpSample(spatial_dims, scale_factor=2, mode="nontrainable", pre_conv=None, align_corners=False)
        self.divisor = 8  # features at 1/8 (the last two stages are dilated)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """
        Args:
            x: input of shape ``(B, in_channels, *spatial)``, spatial sizes divisible by 8.

        Returns:
            logits of shape ``(B, out_channels, *spatial)``.
        """
        enc = self.encoder
        stem = enc.act(enc.bn1(enc.conv1(x)))  # 1/2
        x4 = enc.layer1(enc.maxpool(stem))  # 1/4
        x8 = enc.layer4(enc.layer3(enc.layer2(x4)))  # 1/8 (layers 3, 4 dilated)
        context = self.fuse(self.ppm(self.nlce(x8)))
        y = self.up_2(self.up_4(context, x4), stem)
        return self.up_1(self.head(y))
