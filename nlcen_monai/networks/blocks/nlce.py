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
"""The Non-Local Context Encoder (He et al., AAAI 2019, Eq. 1-3 and Figure 2).

``NLCE`` = ``NonLocalBlock`` (embedded-Gaussian non-local block, Wang et al. 2018) followed by
``ContextEncoding`` (learned codebook + channel attention, Zhang et al. 2018). MONAI has neither
block, so both are written here on top of MONAI's layer factories.
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from monai.networks.layers.factories import Conv, Norm, Pool
from monai.networks.layers.utils import get_norm_layer
from monai.utils import has_option
from monai.networks.layers.factories import split_args

__all__ = ["NonLocalBlock", "ContextEncoding", "NLCE"]


def _flatten_positions(x: torch.Tensor) -> torch.Tensor:
    """(B, C, *spatial) -> (B, 1, N, C) with a contiguous last dimension.

    The 4-D, contiguous layout is what lets ``scaled_dot_product_attention`` pick its fused
    (flash / memory-efficient) kernels; a 3-D or strided input falls back to the math kernel,
    which builds the N x N matrix in memory (``benchmarks/nonlocal_memory.py`` measures the difference).
    """
    return x.flatten(2).transpose(1, 2).contiguous().unsqueeze(1)


def _affine_norm(norm: str | tuple, spatial_dims: int, channels: int) -> nn.Module:
    """``get_norm_layer(norm)`` with ``affine=True`` by default, refusing a layer without weight and bias."""
    name, args = split_args(norm)
    args = dict(args)
    if has_option(Norm[name, spatial_dims], "affine"):
        args.setdefault("affine", True)
    layer = get_norm_layer((name, args), spatial_dims=spatial_dims, channels=channels)
    if getattr(layer, "weight", None) is None or getattr(layer, "bias", None) is None:
        raise ValueError(
            f"norm={norm!r} has no learnable weight and bias: W_z's normalisation must be affine so that "
            "the block starts as the identity (weight and bias at zero)."
        )
    return layer


class NonLocalBlock(nn.Module):
    """Embedded-Gaussian non-local block: ``z = W_z softmax(theta(x)^T phi(x)) g(x) + x``.

    The pairwise function is ``exp(theta^T phi)`` normalised over the keys (paper Eq. 1-2), i.e. a
    softmax with *no* ``1/sqrt(d)`` scaling. The attention runs through
    :func:`torch.nn.functional.scaled_dot_product_attention` with ``scale=1.0`` so that the
    N x N affinity matrix is never materialised by this code. ``W_z`` is a 1x1 convolution
    followed by a normalisation layer whose weight and bias start at zero, so a freshly built
    block is the identity. The normalisation must therefore be affine: instance normalisation is
    built with ``affine=True`` unless told otherwise, and a norm without learnable weight and
    bias is refused.

    Args:
        spatial_dims: number of spatial dimensions of the input (1, 2 or 3).
        in_channels: number of input (and output) channels ``C``.
        inter_channels: embedding width ``C'``; defaults to ``max(1, C // 2)``.
        sub_sample: if True, keys and values (``phi``, ``g``) are max-pooled by 2 along every
            spatial dimension before the attention (Wang et al.'s optional sub-sampling).
        norm: normalisation after ``W_z``, a MONAI norm name or ``(name, kwargs)`` as taken by
            :func:`monai.networks.layers.get_norm_layer`, e.g. ``"batch"``, ``"instance"``,
            ``("group", {"num_groups": 8})``.

    Example::

        block = NonLocalBlock(spatial_dims=2, in_channels=64)
        y = block(torch.randn(2, 64, 32, 32))  # same shape as the input
    """

    def __init__(
        self,
        spatial_dims: int,
        in_channels: int,
        inter_channels: int | None = None,
        sub_sample: bool = False,
        norm: str | tuple = "batch",
    ) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.inter_channels = inter_channels if inter_channels is not None else max(1, in_channels // 2)
        conv_type = Conv[Conv.CONV, spatial_dims]
        self.theta = conv_type(in_channels, self.inter_channels, kernel_size=1)
        self.phi = conv_type(in_channels, self.inter_channels, kernel_size=1)
        self.g = conv_type(in_channels, self.inter_channels, kernel_size=1)
        self.pool: nn.Module = Pool[Pool.MAX, spatial_dims](kernel_size=2) if sub_sample else nn.Identity()
        self.w_z = nn.Sequential(
            conv_type(self.inter_channels, in_channels, kernel_size=1), _affine_norm(norm, spatial_dims, in_channels)
        )
        nn.init.zeros_(self.w_z[1].weight)
        nn.init.zeros_(self.w_z[1].bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """
        Args:
            x: input of shape ``(B, C, *spatial)``.

        Returns:
            the non-local enhanced features ``z`` of the same shape.
        """
        query = _flatten_positions(self.theta(x))
        key = _flatten_positions(self.pool(self.phi(x)))
        value = _flatten_positions(self.pool(self.g(x)))
        y = F.scaled_dot_product_attention(query, key, value, scale=1.0)  # (B, 1, N, C')
        y = y.squeeze(1).transpose(1, 2).reshape([x.shape[0], self.inter_channels] + list(x.shape[2:]))
        return self.w_z(y) + x


class ContextEncoding(nn.Module):
    """Context encoder with a learned codebook and channel-wise attention (paper Eq. 3).

    For features ``z'_i = W x_i`` (a 1x1 convolution to the codeword dimension ``D``) and
    codewords ``d_k``, the soft-assignment residuals are
    ``e_ik = softmax_k(-s_k ||z'_i - d_k||^2) (z'_i - d_k)``, aggregated as ``e_k = sum_i e_ik``.
    The global context is ``e = sum_k ReLU(BN(e_k))`` (BatchNorm1d over the K codes) and the
    output is ``x * sigmoid(W_gamma e)`` channel-wise.

    The smoothing factors stay non-negative as the paper requires (Eq. 3): the
    parameter ``smoothing`` starts in (0, 1] and is used as ``s_k = |smoothing_k|``, so no
    optimiser step can make a factor negative (which would favour the *farthest* codeword). While
    the parameter is positive, ``s_k`` is the stored value itself, so checkpoints whose factors
    are positive give the same outputs as with the raw parameter.

    The ``(B, N, K, D)`` residual tensor is never built: the squared distances are expanded as
    ``||z||^2 - 2 z.d + ||d||^2`` and ``sum_i a_ik (z_i - d_k) = (A^T Z)_k - (sum_i a_ik) d_k``,
    both matrix products, so memory is ``O(B N K + B N D)``.

    Args:
        spatial_dims: number of spatial dimensions of the input.
        in_channels: number of input (and output) channels ``C``.
        num_codes: number of codewords ``K``.
        code_dim: codeword dimension ``D``; defaults to ``C // 2`` capped at 128 (at least 1).
    """

    def __init__(self, spatial_dims: int, in_channels: int, num_codes: int = 32, code_dim: int | None = None) -> None:
        super().__init__()
        self.num_codes = num_codes
        self.code_dim = code_dim if code_dim is not None else max(1, min(in_channels // 2, 128))
        self.project = Conv[Conv.CONV, spatial_dims](in_channels, self.code_dim, kernel_size=1)
        bound = 1.0 / math.sqrt(num_codes * self.code_dim)
        self.codewords = nn.Parameter(torch.empty(num_codes, self.code_dim).uniform_(-bound, bound))
        # smoothing factors s_k = |smoothing_k|, used as exp(-s_k ||r||^2); initialised in (0, 1]
        self.smoothing = nn.Parameter(1.0 - torch.rand(num_codes))
        self.code_norm = nn.BatchNorm1d(num_codes)
        self.act = nn.ReLU()
        self.attention = nn.Linear(self.code_dim, in_channels)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """The aggregated residuals ``e_k`` of shape ``(B, K, D)`` (before BatchNorm + ReLU)."""
        z = self.project(x).flatten(2).transpose(1, 2)  # (B, N, D)
        codewords = self.codewords.to(z.dtype)
        sq_dist = (
            z.pow(2).sum(-1, keepdim=True) - 2.0 * z @ codewords.t() + codewords.pow(2).sum(-1)
        )  # (B, N, K)
        assign = torch.softmax(-self.smoothing.abs().to(z.dtype) * sq_dist, dim=-1)  # (B, N, K)
        return assign.transpose(1, 2) @ z - assign.sum(1).unsqueeze(-1) * codewords

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """
        Args:
            x: input ``F_z`` of shape ``(B, C, *spatial)``.

        Returns:
            ``F_z * gamma`` with ``gamma = sigmoid(W_gamma e)`` of shape ``(B, C)``, same shape as ``x``.
        """
        context = self.act(self.code_norm(self.encode(x))).sum(1)  # (B, D)
        gamma = torch.sigmoid(self.attention(context))
        return x * gamma.reshape([gamma.shape[0], gamma.shape[1]] + [1] * (x.dim() - 2))


class NLCE(nn.Module):
    """Non-Local Context Encoder: :class:`NonLocalBlock` then :class:`ContextEncoding` (Figure 2).

    Either part can be switched off for the paper's ablations (``use_nonlocal=False`` is
    "w/o NL", ``use_context=False`` is "w/o CE"); a switched-off part is an ``nn.Identity`` so
    the module structure stays fixed and scriptable.

    Args:
        spatial_dims: number of spatial dimensions of the input.
        in_channels: number of input (and output) channels.
        use_nonlocal: include the non-local block.
        use_context: include the context encoder.
        inter_channels: ``NonLocalBlock`` embedding width.
        sub_sample: ``NonLocalBlock`` key/value sub-sampling.
        num_codes: ``ContextEncoding`` number of codewords.
        code_dim: ``ContextEncoding`` codeword dimension.

    Example::

        nlce = NLCE(spatial_dims=2, in_channels=512)
        out = nlce(features)  # same shape as features
    """

    def __init__(
        self,
        spatial_dims: int,
        in_channels: int,
        use_nonlocal: bool = True,
        use_context: bool = True,
        inter_channels: int | None = None,
        sub_sample: bool = False,
        num_codes: int = 32,
        code_dim: int | None = None,
    ) -> None:
        super().__init__()
        self.nonlocal_block: nn.Module = (
            NonLocalBlock(spatial_dims, in_channels, inter_channels=inter_channels, sub_sample=sub_sample)
            if use_nonlocal
            else nn.Identity()
        )
        self.context_encoding: nn.Module = (
            ContextEncoding(spatial_dims, in_channels, num_codes=num_codes, code_dim=code_dim)
            if use_context
            else nn.Identity()
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.context_encoding(self.nonlocal_block(x))
