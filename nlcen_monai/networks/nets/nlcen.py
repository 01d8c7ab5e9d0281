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
"""NLCEN: the Non-Local Context Encoding Network (He et al., AAAI 2019, Figure 3).

ResNet backbone (MONAI ``ResNet``) -> an NLCE after conv2..conv5 (E2..E5) -> a feature pyramid
(P2..P5) -> four deeply supervised side outputs -> a refinement phase that passes P2..P5 through
0, 1, 2, 3 ResNet bottlenecks, fuses them at P2's resolution and predicts the refined map.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F
from monai.networks.blocks import Convolution
from monai.networks.layers.factories import Conv
from monai.networks.nets.resnet import ResNet, ResNetBottleneck, get_inplanes

from nlcen_monai.networks.blocks.nlce import NLCE

__all__ = ["NLCEN", "NLCEN_BACKBONES"]

# name -> (block, layers); the standard ImageNet ResNets
NLCEN_BACKBONES: dict[str, tuple[str, list[int]]] = {
    "resnet18": ("basic", [2, 2, 2, 2]),
    "resnet34": ("basic", [3, 4, 6, 3]),
    "resnet50": ("bottleneck", [3, 4, 6, 3]),
}


def _resize(x: torch.Tensor, size: list[int]) -> torch.Tensor:
    mode = "bilinear" if x.dim() == 4 else ("trilinear" if x.dim() == 5 else "linear")
    return F.interpolate(x, size=size, mode=mode, align_corners=False)


class NLCEN(nn.Module):
    """Non-Local Context Encoding Network.

    The backbone is MONAI's :class:`~monai.networks.nets.ResNet` with ``conv1_t_stride=2`` (the
    standard /2 stem, then max-pool: E2..E5 at strides 4, 8, 16, 32) and ``shortcut_type="B"``
    (projection shortcuts; MONAI's type "A" detaches the zero-padded shortcut, which would cut
    the gradients an attack needs). An :class:`NLCE` follows the last block of each stage and sits
    inline in the backbone: ``E_i = NLCE(conv_i(E_{i-1}))`` is both the pyramid's input at that
    level and the next stage's input (paper Figure 3), so every later stage sees context-encoded
    features; the NLCEs are not a side branch beside an unchanged ResNet.

    Feature pyramid (paper, "Non-Local Context Encoding Network"): ``P5 = conv1x1(E5)`` and
    ``P_i = lateral(E_i) + upsample(conv1x1(P_{i+1}))`` for i = 4, 3, 2, where ``lateral`` is a
    1x1 convolution to ``fpn_channels`` when E_i has another width and the identity otherwise.
    Each P_i gives a side output through its own 3x3 convolution and bilinear upsampling to the
    input size. Refinement: P2..P5 go through 0, 1, 2, 3 ResNet bottleneck blocks, are upsampled
    to P2's size and concatenated; a 3x3 conv-BN-ReLU and a 1x1 conv predict the refined logits,
    upsampled bilinearly to the input size.

    Output: in training mode a tensor of shape ``(B, 5, out_channels, *spatial)`` stacking the
    refined logits (index 0) and the side outputs of P2..P5 (indices 1-4), as MONAI's
    ``DynUNet`` does for deep supervision (see :class:`nlcen_monai.losses.NLCENLoss`); in eval mode
    the refined logits alone, ``(B, out_channels, *spatial)``, so any MONAI inferer, metric or
    exporter treats NLCEN like any other network. Spatial sizes must be divisible by 32 (attribute
    ``divisor``).

    Args:
        spatial_dims: number of spatial dimensions (2 for the paper's images).
        in_channels: number of input channels (1 for radiographs, 3 for dermoscopy).
        out_channels: number of classes.
        backbone: ``"resnet18"``, ``"resnet34"`` or ``"resnet50"``.
        nlce: if False, no NLCE modules at all (the paper's "w/o NLCE" ablation).
        use_nonlocal: keep the non-local part of each NLCE ("w/o NL" when False).
        use_context: keep the context-encoding part of each NLCE ("w/o CE" when False).
        fpn_channels: width of the pyramid features P2..P5.
        widen_factor: multiplies the backbone widths (64, 128, 256, 512); < 1 for tiny test models.
        num_codes: number of codewords of each context encoder.
        sub_sample: max-pool keys/values in the non-local blocks.
    """

    def __init__(
        self,
        spatial_dims: int = 2,
        in_channels: int = 1,
        out_channels: int = 2,
        backbone: str = "resnet18",
        nlce: bool = True,
        use_nonlocal: bool = True,
        use_context: bool = True,
        fpn_channels: int = 256,
        widen_factor: float = 1.0,
        num_codes: int = 32,
        sub_sample: bool = False,
    ) -> None:
        super().__init__()
        if backbone not in NLCEN_BACKBONES:
            raise ValueError(f"backbone must be one of {sorted(NLCEN_BACKBONES)}, got {backbone!r}.")
        if fpn_channels < 4:
            raise ValueError(f"fpn_channels must be at least 4 (bottleneck width fpn_channels // 4), got {fpn_channels}.")
        block, layers = NLCEN_BACKBONES[backbone]
        self.spatial_dims = spatial_dims
        self.divisor = 32  # E5 is at 1/32 of the input
        self.backbone = ResNet(
            block=block,
            layers=layers,
            block_inplanes=get_inplanes(),
            spatial_dims=spatial_dims,
            n_input_channels=in_channels,
            conv1_t_stride=2,
            shortcut_type="B",
            widen_factor=widen_factor,
            feed_forward=False,
        )
        expansion = 4 if block == "bottleneck" else 1
        stage_channels = [int(c * widen_factor) * expansion for c in get_inplanes()]
        self.stage_channels = stage_channels

        use_nlce = nlce and (use_nonlocal or use_context)
        self.nlce = nn.ModuleList(
            [
                NLCE(spatial_dims, c, use_nonlocal=use_nonlocal, use_context=use_context, num_codes=num_codes,
                     sub_sample=sub_sample)
                if use_nlce
                else nn.Identity()
                for c in stage_channels
            ]
        )

        conv_type = Conv[Conv.CONV, spatial_dims]
        # lateral 1x1 on E2..E4 where the widths differ; P5 = conv1x1(E5)
        self.lateral = nn.ModuleList(
            [conv_type(c, fpn_channels, kernel_size=1) if c != fpn_channels else nn.Identity() for c in stage_channels[:3]]
        )
        self.top = conv_type(stage_channels[3], fpn_channels, kernel_size=1)
        # the 1x1 on the top-down path, applied to P5, P4, P3 before upsampling
        self.top_down = nn.ModuleList([conv_type(fpn_channels, fpn_channels, kernel_size=1) for _ in range(3)])
        self.side = nn.ModuleList(
            [conv_type(fpn_channels, out_channels, kernel_size=3, padding=1) for _ in range(4)]
        )
        self.refine = nn.ModuleList(
            [
                nn.Sequential(*[ResNetBottleneck(fpn_channels, fpn_channels // 4, spatial_dims) for _ in range(n)])
                if n > 0
                else nn.Identity()
                for n in range(4)
            ]
        )
        self.head = nn.Sequential(
            Convolution(spatial_dims, 4 * fpn_channels, fpn_channels, kernel_size=3, act="relu", norm="batch"),
            conv_type(fpn_channels, out_channels, kernel_size=1),
        )

    def encode(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Backbone stages conv2..conv5, each followed by its NLCE: ``[E2, E3, E4, E5]``."""
        bb = self.backbone
        x = bb.maxpool(bb.act(bb.bn1(bb.conv1(x))))
        e2 = self.nlce[0](bb.layer1(x))
        e3 = self.nlce[1](bb.layer2(e2))
        e4 = self.nlce[2](bb.layer3(e3))
        e5 = self.nlce[3](bb.layer4(e4))
        return [e2, e3, e4, e5]

    def pyramid(self, feats: list[torch.Tensor]) -> list[torch.Tensor]:
        """Top-down pathway: ``[P2, P3, P4, P5]``."""
        laterals: list[torch.Tensor] = []
        for i, lateral in enumerate(self.lateral):  # E2..E4
            laterals.append(lateral(feats[i]))
        p = self.top(feats[3])
        pyramid = [p]
        for i, top_down in enumerate(self.top_down):  # P4, P3, P2
            e = laterals[2 - i]
            p = e + _resize(top_down(p), list(e.shape[2:]))
            pyramid.insert(0, p)
        return pyramid

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        size = list(x.shape[2:])
        for s in size:
            if s % self.divisor != 0:
                raise ValueError(f"NLCEN needs spatial sizes divisible by {self.divisor}, got {size}.")
        pyramid = self.pyramid(self.encode(x))
        p2_size = list(pyramid[0].shape[2:])
        refined_levels: list[torch.Tensor] = []
        for i, refine in enumerate(self.refine):  # 0, 1, 2, 3 bottlenecks on P2..P5
            refined_levels.append(_resize(refine(pyramid[i]), p2_size))
        refined = _resize(self.head(torch.cat(refined_levels, dim=1)), size)
        if not self.training:
            return refined
        outputs = [refined]
        for i, side in enumerate(self.side):
            outputs.append(_resize(side(pyramid[i]), size))
        return torch.stack(outputs, dim=1)
