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
import torch.nn as nn
import torch.nn.functional as F

from .pgd import DEFAULT_STEPS, PGD, projected_gradient_descent
from .seg_losses import resisting_pixels

__all__ = ["segpgd", "segpgd_loss", "SegPGD"]


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


def segpgd(
    model: nn.Module,
    images: torch.Tensor,
    target: torch.Tensor,
    eps: float,
    alpha: float | None = None,
    steps: int | None = DEFAULT_STEPS,
    restarts: int = 1,
    random_start: bool = True,
    targeted: bool = False,
    seed: int | None = None,
) -> torch.Tensor:
    """SegPGD with random start and restarts.

    Args: those of :func:`~nlcen_monai.attacks.pgd`; ``steps`` is also the ``T`` of the schedule, and
    ``targeted`` counts the pixels predicted as ``target`` as fooled.
    """
    def loss_factory(y: torch.Tensor, n: int) -> Callable[[torch.Tensor, int], torch.Tensor]:
        return segpgd_loss(y, n, targeted=targeted)

    return projected_gradient_descent(
        model, images, target, eps, loss_factory, alpha, steps, restarts, random_start, targeted, seed
    )


class SegPGD(PGD):
    """SegPGD (:func:`segpgd`) as an attack object; the same arguments as :class:`~nlcen_monai.attacks.PGD`."""

    name = "segpgd"
    _function = staticmethod(segpgd)
