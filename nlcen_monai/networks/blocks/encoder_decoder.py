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
"""A configurable encoder-decoder with an NLCE slot at its bottleneck, shared by the baselines.

InvertedNet, CDNN and each NWCN sub-network are the same pattern built from MONAI's U-Net pieces
(``TwoConv``, ``Down``, ``UpCat`` from :mod:`monai.networks.nets.basic_unet`): a stack of
two-convolution levels (each optionally max-pooled first), an optional context module, the NLCE
slot (the paper's Generalization section: "between the last downsampling layer and the first
upsampling layer"), a decoder that up-samples level by level (optionally concatenating the
encoder's skip features) and a 1x1 head. Only the configuration differs between the papers.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn as nn
from monai.networks.layers.factories import Conv
from monai.networks.nets.basic_unet import Down, TwoConv, UpCat

from .nlce import NLCE

__all__ = ["nlce_slot", "CatTwoConv", "EncoderDecoder"]


def nlce_slot(spatial_dims: int, channels: int, nlce: bool, nlce_kwargs: dict | None = None) -> nn.Module:
    """An :class:`NLCE` on ``channels`` features if ``nlce`` else ``nn.Identity()`` (fixed structure)."""
    return NLCE(spatial_dims, channels, **(nlce_kwargs or {})) if nlce else nn.Identity()


class CatTwoConv(nn.Module):
    """Same-resolution decoder level: concatenate the skip features (if any), then two convolutions.

    The counterpart of MONAI's ``UpCat`` for a level that was not down-sampled in the encoder; it
    takes the same ``(x, x_e)`` arguments so decoder levels are interchangeable.
    """

    def __init__(
        self,
        spatial_dims: int,
        in_chns: int,
        cat_chns: int,
        out_chns: int,
        act: str | tuple,
        norm: str | tuple,
        bias: bool,
        dropout: float | tuple = 0.0,
    ) -> None:
        super().__init__()
        self.convs = TwoConv(spatial_dims, in_chns + cat_chns, out_chns, act, norm, bias, dropout)

    def forward(self, x: torch.Tensor, x_e: torch.Tensor | None) -> torch.Tensor:
        if x_e is not None:
            x = torch.cat([x_e, x], dim=1)
        return self.convs(x)


class EncoderDecoder(nn.Module):
    """Encoder-decoder segmentation network with an NLCE slot between encoder and decoder.

    Level ``i`` of the encoder has ``features[i]`` channels and is a MONAI ``TwoConv`` preceded by a
    2x max-pooling where ``downsample[i]`` is True (MONAI ``Down``). After the last level come
    ``context`` (e.g. atrous convolutions; must keep ``features[-1]`` channels) and ``nlce``
    (an :class:`NLCE` or ``nn.Identity``). The decoder mirrors the encoder: for each level ``i``
    from the deepest up, a MONAI ``UpCat`` (2x up-sampling, optional concatenation with the
    encoder's level-``i`` features, two convolutions) or, where level ``i + 1`` was not pooled, a
    :class:`CatTwoConv`. A 1x1 convolution maps to ``out_channels`` logits.

    Args:
        spatial_dims: number of spatial dimensions.
        in_channels: number of input channels.
        out_channels: number of output channels (classes).
        features: encoder channels per level, shallowest first.
        downsample: whether level ``i`` starts with a 2x max-pooling; ``downsample[0]`` must be
            False. Defaults to pooling before every level except the first (U-Net).
        decoder_features: decoder output channels per level (index ``i`` is the decoder level at
            the resolution of encoder level ``i``); defaults to ``features[:-1]``.
        skip_connections: concatenate the encoder features into the decoder (U-Net) or not
            (a plain convolution-deconvolution network).
        nlce: put an :class:`NLCE` at the bottleneck; otherwise ``nn.Identity``.
        nlce_kwargs: extra arguments of :class:`NLCE` (``use_nonlocal``, ``num_codes``, ...).
        context: module applied to the deepest features before the NLCE slot.
        act: activation, a MONAI name or ``(name, kwargs)``.
        norm: normalisation, a MONAI name or ``(name, kwargs)``; ``None`` for none.
        bias: convolution bias.
        dropout: dropout after every convolution.
        upsample: MONAI ``UpSample`` mode of the ``UpCat`` levels (``"deconv"``, ``"nontrainable"``, ...).
        halves: whether the up-sampling halves the number of channels (``UpCat(halves=...)``).

    The spatial size must be divisible by ``2 ** sum(downsample)``.
    """

    def __init__(
        self,
        spatial_dims: int,
        in_channels: int,
        out_channels: int,
        features: Sequence[int],
        downsample: Sequence[bool] | None = None,
        decoder_features: Sequence[int] | None = None,
        skip_connections: bool = True,
        nlce: bool = False,
        nlce_kwargs: dict | None = None,
        context: nn.Module | None = None,
        act: str | tuple = ("relu", {"inplace": True}),
        norm: str | tuple | None = ("batch", {}),
        bias: bool = True,
        dropout: float | tuple = 0.0,
        upsample: str = "deconv",
        halves: bool = True,
    ) -> None:
        super().__init__()
        features = list(features)
        levels = len(features)
        if levels < 2:
            raise ValueError(f"features needs at least two levels, got {features}.")
        downsample = [False] + [True] * (levels - 1) if downsample is None else list(downsample)
        if len(downsample) != levels or downsample[0]:
            raise ValueError(f"downsample must have {levels} entries and start with False, got {downsample}.")
        decoder_features = features[:-1] if decoder_features is None else list(decoder_features)
        if len(decoder_features) != levels - 1:
            raise ValueError(f"decoder_features must have {levels - 1} entries, got {decoder_features}.")
        self.skip_connections = skip_connections
        self.divisor = 2 ** sum(downsample)

        encoder: list[nn.Module] = [TwoConv(spatial_dims, in_channels, features[0], act, norm, bias, dropout)]
        for i in range(1, levels):
            block = Down if downsample[i] else TwoConv
            encoder.append(block(spatial_dims, features[i - 1], features[i], act, norm, bias, dropout))
        self.encoder = nn.ModuleList(encoder)
        self.context: nn.Module = context if context is not None else nn.Identity()
        self.nlce = nlce_slot(spatial_dims, features[-1], nlce, nlce_kwargs)

        decoder: list[nn.Module] = []
        prev = features[-1]
        for i in reversed(range(levels - 1)):
            cat = features[i] if skip_connections else 0
            if downsample[i + 1]:
                up: nn.Module = UpCat(
                    spatial_dims, prev, cat, decoder_features[i], act, norm, bias, dropout, upsample, halves=halves
                )
            else:
                up = CatTwoConv(spatial_dims, prev, cat, decoder_features[i], act, norm, bias, dropout)
            decoder.append(up)
            prev = decoder_features[i]
        self.decoder = nn.ModuleList(decoder)
        self.head = Conv[Conv.CONV, spatial_dims](prev, out_channels, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """
        Args:
            x: input of shape ``(B, in_channels, *spatial)``, spatial sizes divisible by ``self.divisor``.

        Returns:
            logits of shape ``(B, out_channels, *spatial)``.
        """
        skips: list[torch.Tensor] = []
        for block in self.encoder:
            x = block(x)
            skips.append(x)
        x = self.nlce(self.context(x))
        deepest = len(skips) - 1
        for i, block in enumerate(self.decoder):
            skip: torch.Tensor | None = skips[deepest - 1 - i] if self.skip_connections else None
            x = block(x, skip)
        return self.head(x)
