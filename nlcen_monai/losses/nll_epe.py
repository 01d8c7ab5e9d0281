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
"""SLSDeep's loss (Sarker et al., MICCAI 2018): negative log-likelihood plus end-point error on edges."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from monai.networks.layers import separable_filtering
from monai.networks.utils import one_hot
from torch.nn.modules.loss import _Loss

__all__ = ["sobel_gradients", "NLLEPELoss"]

# Sobel = central difference along one axis, binomial smoothing along the others; normalised so
# that a ramp of slope 1 has gradient 1.
_DERIVATIVE = (-0.5, 0.0, 0.5)
_SMOOTHING = (0.25, 0.5, 0.25)


def sobel_gradients(x: torch.Tensor) -> torch.Tensor:
    """Sobel gradients of every channel of ``x`` (``(B, C, *spatial)``) along every spatial axis.

    Returns a tensor ``(B, C, spatial_dims, *spatial)``; borders are replicate-padded so a
    constant image has zero gradient everywhere. Differentiable (MONAI ``separable_filtering``).
    """
    spatial_dims = x.dim() - 2
    derivative = torch.tensor(_DERIVATIVE, dtype=x.dtype, device=x.device)
    smoothing = torch.tensor(_SMOOTHING, dtype=x.dtype, device=x.device)
    grads = []
    for axis in range(spatial_dims):
        kernels = [derivative if d == axis else smoothing for d in range(spatial_dims)]
        grads.append(separable_filtering(x, kernels, mode="replicate"))
    return torch.stack(grads, dim=2)


class NLLEPELoss(_Loss):
    """``L = NLL(log_softmax(logits), labels) + epe_weight * EPE``, the SLSDeep training loss.

    The end-point error compares the first derivatives (Sobel, along each spatial axis) of the
    predicted foreground probabilities with those of the one-hot labels:
    ``EPE = mean_pixels sqrt(sum_{c, axis} (d_axis p_c - d_axis y_c)^2 + eps)``, i.e. the
    Euclidean distance between the predicted and the true edge "flow" ``(u, v)`` at every pixel
    (Sarker et al. 2018, Sec. 2.2). Only foreground classes enter (``include_background=False``),
    so for two classes it is the paper's single-mask EPE.

    Deviation: the authors' code takes Sobel edges of the *arg-max* mask with scikit-image, which
    gives the EPE term no gradient; here the softmax probabilities are used so that it trains the
    network. ``epe_weight`` defaults to 0.5 as in the authors' ``train.py``.

    Args:
        epe_weight: weight of the EPE term.
        include_background: include class 0 in the EPE.
        eps: added under the square root (its gradient at 0 is unbounded otherwise).

    ``input``: logits ``(B, C, *spatial)``; ``target``: labels ``(B, 1, *spatial)``.
    """

    def __init__(self, epe_weight: float = 0.5, include_background: bool = False, eps: float = 1e-6) -> None:
        super().__init__()
        self.epe_weight = epe_weight
        self.include_background = include_background
        self.eps = eps

    def end_point_error(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """The EPE term alone (see the class docstring)."""
        probs = torch.softmax(input, dim=1)
        labels = one_hot(target.long(), num_classes=input.shape[1], dtype=probs.dtype)
        if not self.include_background:
            if input.shape[1] == 1:
                raise ValueError("include_background=False needs at least two classes.")
            probs, labels = probs[:, 1:], labels[:, 1:]
        diff = sobel_gradients(probs) - sobel_gradients(labels)  # (B, C, D, *spatial)
        return torch.sqrt(diff.pow(2).sum(dim=(1, 2)) + self.eps).mean()

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if target.dim() != input.dim() or target.shape[1] != 1:
            raise ValueError(f"target must be (B, 1, *spatial) labels, got shape {tuple(target.shape)}.")
        nll = F.nll_loss(F.log_softmax(input, dim=1), target[:, 0].long())
        return nll + self.epe_weight * self.end_point_error(input, target)
