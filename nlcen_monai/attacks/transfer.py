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
"""The black-box transfer attack: adversarial images crafted on a surrogate network, never on the evaluated one."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn as nn

from .base import SegmentationAttack

__all__ = ["TransferAttack"]


class TransferAttack(SegmentationAttack):
    """Run ``attack`` on ``source_model`` and hand its images to the evaluated model (which is never queried).

    With an undefended surrogate this is the transfer half of the gradient-masking check d
    (Tramer et al. 2020): a defense that only hides its own gradients is broken by images crafted on
    a network that does not.

    Args:
        source_model: the surrogate network (maps [0, 255] images to logits in eval mode).
        attack: the white-box attack object run on the surrogate (targeted or not, as configured).
        name: the table name; default ``"transfer_<attack name>"``.
    """

    def __init__(self, source_model: nn.Module, attack: SegmentationAttack, name: str | None = None) -> None:
        super().__init__(targeted=attack.targeted, target_fn=attack.target_fn, name=name or f"transfer_{attack.name}")
        self.source_model = source_model
        self.attack = attack
        self.sweepable = attack.sweepable

    def __call__(
        self, model: nn.Module, images: torch.Tensor, label: torch.Tensor, eps: float, start: torch.Tensor | None = None
    ) -> torch.Tensor:
        """The base attack on the surrogate (``model`` is not used); ``start`` goes to the base attack."""
        return self.attack(self.source_model, images, label, eps, start=start)

    def sweep(
        self,
        model: nn.Module,
        images: torch.Tensor,
        label: torch.Tensor,
        epsilons: Sequence[float],
        max_batch: int | None = None,
    ) -> dict[float, torch.Tensor]:
        return self.attack.sweep(self.source_model, images, label, epsilons, max_batch=max_batch)

    def cost(self, eps: float) -> float:
        """No pass of the evaluated model; the surrogate's passes are counted as the base attack's."""
        return self.attack.cost(eps)

    def sweep_cost(self, epsilons: Sequence[float]) -> float:
        return self.attack.sweep_cost(epsilons)

    def strengthened(self, factor: int = 2) -> TransferAttack:
        return TransferAttack(self.source_model, self.attack.strengthened(factor), name=self.name)

    def describe(self) -> dict:
        return {"class": type(self).__name__, "name": self.name, "targeted": self.targeted, "base": self.attack.describe()}
