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
"""The NLCEN training loss (paper Eq. 5): ``1/4 sum_i CE(side_i) + lambda CE(refined)``."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from monai.losses import DeepSupervisionLoss
from torch.nn.modules.loss import _Loss

__all__ = ["LabelCrossEntropyLoss", "NLCENLoss"]


class LabelCrossEntropyLoss(_Loss):
    """Pixel-wise cross entropy between logits ``(B, C, *spatial)`` and labels ``(B, 1, *spatial)``.

    ``torch.nn.CrossEntropyLoss`` wants class indices without the channel dimension; MONAI's label
    convention keeps it. This adapter squeezes it and casts to ``long``.
    """

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if target.dim() == input.dim():
            target = target.squeeze(1)
        return F.cross_entropy(input, target.long())


class NLCENLoss(_Loss):
    """Deep-supervision loss of NLCEN (He et al. 2019, Eq. 5).

    ``L = 1/4 * sum_{i=2..5} CE(side_i) + lambda * CE(refined)`` with ``lambda = 0.25``. The
    per-output cross entropy is averaged over pixels (the paper's Eq. 4 sums them; the mean only
    rescales the loss by the number of pixels). The weighting is MONAI's
    :class:`~monai.losses.DeepSupervisionLoss` with fixed weights.

    Args:
        refined_weight: ``lambda`` of Eq. 5.
        num_sides: number of side outputs (4 in NLCEN).

    ``input`` is NLCEN's training output ``(B, 1 + num_sides, C, *spatial)`` (refined first) or,
    for convenience, a plain ``(B, C, *spatial)`` logits tensor, which gets plain cross entropy.
    """

    def __init__(self, refined_weight: float = 0.25, num_sides: int = 4) -> None:
        super().__init__()
        self.num_sides = num_sides
        self.deep_supervision = DeepSupervisionLoss(
            LabelCrossEntropyLoss(), weights=[refined_weight] + [1.0 / num_sides] * num_sides
        )

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if input.dim() == target.dim():
            return self.deep_supervision.loss(input, target)
        if input.shape[1] != 1 + self.num_sides:
            raise ValueError(f"expected {1 + self.num_sides} stacked outputs, got input of shape {tuple(input.shape)}.")
        return self.deep_supervision(list(torch.unbind(input, dim=1)), target)
