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
"""MONAI's ``DeepSupervisionLoss`` for networks that return their outputs stacked along dim 1."""

from __future__ import annotations

import torch
from monai.losses import DeepSupervisionLoss

__all__ = ["StackedDeepSupervisionLoss"]


class StackedDeepSupervisionLoss(DeepSupervisionLoss):
    """:class:`monai.losses.DeepSupervisionLoss` that also accepts a stacked ``(B, S, C, *spatial)`` tensor.

    Deeply supervised networks here (NWCN, like MONAI's ``DynUNet``) return their ``S`` outputs
    stacked along dim 1 in training mode, final prediction first, so that MONAI's
    ``SupervisedTrainer`` passes a single tensor to the loss. Such an input is unbound into a
    list and weighted by MONAI's rules (``weight_mode`` / ``weights``: output 0 gets the first
    weight); a plain ``(B, C, *spatial)`` tensor (eval mode) gets the wrapped loss alone.

    Args:
        loss: the loss applied to each output, e.g. cross entropy on ``(B, 1, *spatial)`` labels.
        weight_mode: ``"same"``, ``"exp"`` or ``"two"`` (see MONAI).
        weights: explicit per-output weights; override ``weight_mode``.
    """

    def __init__(self, loss: torch.nn.Module, weight_mode: str = "same", weights: list[float] | None = None) -> None:
        super().__init__(loss, weight_mode=weight_mode, weights=weights)  # type: ignore[arg-type]

    def forward(self, input: torch.Tensor | list[torch.Tensor], target: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        """
        Args:
            input: ``(B, S, C, *spatial)`` stacked outputs, a list of ``(B, C, *spatial)``, or one
                ``(B, C, *spatial)`` tensor.
            target: labels ``(B, 1, *spatial)``.
        """
        if isinstance(input, torch.Tensor) and input.dim() == target.dim() + 1:
            input = list(torch.unbind(input, dim=1))
        return super().forward(input, target)
