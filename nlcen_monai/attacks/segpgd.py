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
"""SegPGD (Gu et al., ECCV 2022): PGD whose loss re-weights correctly and wrongly classified pixels.

At step ``t = 1..T`` the loss is ``(1 - lambda_t) * CE(still-correct pixels) + lambda_t *
CE(already-fooled pixels)`` with ``lambda_t = (t - 1) / (2T)``: early steps push the pixels
that still resist, later steps also keep the fooled ones fooled. Summed over pixels and
images (the paper's mean over pixels only rescales each image's gradient). For a targeted
attack "fooled" means "predicted as the target". Written by hand: no library provides it.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from .pgd import PGD
from .seg_losses import resisting_pixels
from .utils import LossFactory

__all__ = ["segpgd_loss", "SegPGD"]


def segpgd_loss(y: torch.Tensor, steps: int, targeted: bool = False) -> Callable[[torch.Tensor, int], torch.Tensor]:
    """The SegPGD loss ``loss_fn(logits, t)`` for 0-based step ``t`` (``lambda = t / (2 * steps)``).

    Args:
        y: (B, *spatial) class indices: the truth (untargeted) or the target (targeted).
        steps: the total number of steps ``T``.
        targeted: whether pixels predicted as ``y`` count as fooled (True) or as correct (False).
    """

    def _loss(logits: torch.Tensor, t: int) -> torch.Tensor:
        lam = t / (2.0 * max(steps, 1))
        ce = F.cross_entropy(logits, y, reduction="none")
        fooled = ~resisting_pixels(logits, y, targeted)
        weights = torch.where(fooled, torch.full_like(ce, lam), torch.full_like(ce, 1.0 - lam))
        return (weights * ce).sum()

    return _loss


class SegPGD(PGD):
    """SegPGD as an attack object: PGD (random start, restarts, the same arguments as
    :class:`~nlcen_monai.attacks.PGD`) on :func:`segpgd_loss`; ``steps`` is also the ``T`` of the schedule,
    and ``targeted`` counts the pixels predicted as the target as fooled. Its loss is its own: it takes
    no ``loss`` argument.
    """

    name = "segpgd"
    accepts_loss = False

    def own_loss(self) -> LossFactory:
        """SegPGD's loss, :func:`segpgd_loss` over the attack's ``n`` steps."""
        targeted = self.targeted
        return lambda y, n: segpgd_loss(y, n, targeted=targeted)
