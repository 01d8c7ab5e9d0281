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
"""CDNN, the convolutional-deconvolutional network of Yuan (2017), with an optional NLCE."""

from __future__ import annotations

from collections.abc import Sequence

from ..blocks.encoder_decoder import EncoderDecoder

__all__ = ["CDNN"]


class CDNN(EncoderDecoder):
    """Fully convolutional-deconvolutional network of Yuan, "Automatic Skin Lesion Segmentation
    with Fully Convolutional-Deconvolutional Networks" (arXiv:1703.05165, ISBI 2017 challenge;
    also Yuan, Chao and Lo, IEEE TMI 2017), optionally with an NLCE.

    A convolutional encoder (levels of two 3x3 convolutions, 2x2 max-pooling between levels, 4
    down-samplings, 32 ... 512 features) followed by a mirror-image deconvolutional decoder
    (2x2 transposed convolutions halving the features, each followed by two 3x3 convolutions)
    with *no* skip connections, and a 1x1 convolution to the class logits. It is trained with the
    Jaccard-distance loss (``get_loss("cdnn")``). With ``nlce=True`` an NLCE processes the
    512-feature bottleneck (attribute ``nlce``; ``nn.Identity`` otherwise).

    Deviations: Yuan feeds 7 channels (RGB, HSV and L) and uses a sigmoid output; here
    ``in_channels`` is free and the output is ``out_channels`` softmax logits (two classes are
    equivalent to one sigmoid). BatchNorm after every convolution, "same" padding.

    Args:
        spatial_dims: number of spatial dimensions.
        in_channels: number of input channels.
        out_channels: number of output channels (classes).
        nlce: put an NLCE between the last down-sampling and the first up-sampling.
        features: encoder channels per level (default ``(32, 64, 128, 256, 512)``).
        act: activation.
        norm: normalisation after each convolution, or ``None``.
        bias: convolution bias.
        dropout: dropout after each convolution.
        nlce_kwargs: extra arguments of :class:`~nlcen_monai.networks.blocks.NLCE`.

    Input sizes must be divisible by ``2 ** (len(features) - 1)`` (16 by default; attribute ``divisor``).
    """

    def __init__(
        self,
        spatial_dims: int = 2,
        in_channels: int = 1,
        out_channels: int = 2,
        nlce: bool = False,
        features: Sequence[int] = (32, 64, 128, 256, 512),
        act: str | tuple = ("relu", {"inplace": True}),
        norm: str | tuple | None = ("batch", {}),
        bias: bool = True,
        dropout: float | tuple = 0.0,
        nlce_kwargs: dict | None = None,
    ) -> None:
        super().__init__(
            spatial_dims=spatial_dims,
            in_channels=in_channels,
            out_channels=out_channels,
            features=features,
            skip_connections=False,
            nlce=nlce,
            nlce_kwargs=nlce_kwargs,
            act=act,
            norm=norm,
            bias=bias,
            dropout=dropout,
            upsample="deconv",
            halves=True,
        )
