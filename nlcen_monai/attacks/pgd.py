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
"""PGD (Madry et al. 2018) in the [0, 255] pixel domain: random start, restarts, per-image worst case.

Written by hand (no MONAI/Ignite attack exists). Each restart starts from a uniform random
point of the eps-ball (or the clean image with ``random_start=False``) and runs signed
gradient steps projected on the ball and on [0, 255]; per image, the restart whose
prediction is most successful is kept: the lowest Dice against the true labels (untargeted)
or the highest Dice against the target (targeted).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn as nn
from monai.utils import convert_to_tensor

from .base import SegmentationAttack
from .utils import (
    PIXEL_MAX,
    PIXEL_MIN,
    as_index_target,
    attack_mode,
    cross_entropy_sum,
    eps_bounds,
    input_gradient,
    num_steps,
    per_image_dice,
    signed_step,
)

__all__ = ["pgd", "projected_gradient_descent", "PGD"]


def _random_start(x0: torch.Tensor, eps: float, seed: int | None, restart: int) -> torch.Tensor:
    """``x0 + U(-eps, eps)`` clipped to [0, 255]; drawn on the CPU from ``seed + restart`` when seeded."""
    if seed is None:
        noise = torch.rand(x0.shape, dtype=x0.dtype, device=x0.device)
    else:
        gen = torch.Generator().manual_seed(int(seed) + restart)
        noise = torch.rand(x0.shape, dtype=x0.dtype, generator=gen).to(x0.device)
    return torch.clamp(x0 + (2 * noise - 1) * eps, PIXEL_MIN, PIXEL_MAX)


def projected_gradient_descent(
    model: nn.Module,
    images: torch.Tensor,
    target: torch.Tensor,
    eps: float,
    loss_factory: Callable[[torch.Tensor, int], Callable[[torch.Tensor, int], torch.Tensor]],
    alpha: float = 1.0,
    steps: int | None = None,
    restarts: int = 1,
    random_start: bool = True,
    targeted: bool = False,
    seed: int | None = None,
) -> torch.Tensor:
    """The PGD loop shared by ``pgd`` and ``segpgd``, with the loss chosen by ``loss_factory``.

    Args:
        model: maps [0, 255] images to logits; run in eval mode, its state restored afterwards.
        images: clean images (B, C, H, W) in [0, 255].
        target: (B, H, W) or (B, 1, H, W) labels: the target when ``targeted``, else the truth.
        eps: L-inf budget in grey levels.
        loss_factory: ``loss_factory(y, steps)`` returns ``loss_fn(logits, step)`` (a per-image sum).
        alpha: step size in grey levels.
        steps: iterations per restart; default ``num_steps(eps, alpha)``.
        restarts: number of restarts (>= 1).
        random_start: start from a uniform random point of the eps-ball.
        targeted: descend the loss towards ``target`` instead of ascending it.
        seed: seed of the random starts (restart ``r`` uses ``seed + r``); None uses the global RNG.
    """
    if restarts < 1:
        raise ValueError(f"restarts must be >= 1, got {restarts}.")
    x0 = convert_to_tensor(images, track_meta=False).detach()
    y = as_index_target(target, x0)
    n = num_steps(eps, alpha) if steps is None else int(steps)
    loss_fn = loss_factory(y, n)
    bounds = eps_bounds(x0, eps)
    best, best_score = x0.clone(), None
    with attack_mode(model):
        for r in range(restarts):
            x = _random_start(x0, eps, seed, r) if random_start and eps > 0 else x0.clone()
            for t in range(n):
                x = signed_step(x, input_gradient(model, x, loss_fn, t), alpha, descend=targeted, bounds=bounds)
            with torch.no_grad():
                dice = per_image_dice(convert_to_tensor(model(x), track_meta=False), y)
            score = dice if targeted else -dice  # higher is a more successful attack
            if best_score is None:
                best, best_score = x, score
            else:
                better = score > best_score
                best = torch.where(better.view(-1, *([1] * (x.dim() - 1))), x, best)
                best_score = torch.maximum(score, best_score)
    return best


def pgd(
    model: nn.Module,
    images: torch.Tensor,
    target: torch.Tensor,
    eps: float,
    alpha: float = 1.0,
    steps: int | None = None,
    restarts: int = 1,
    random_start: bool = True,
    targeted: bool = False,
    seed: int | None = None,
) -> torch.Tensor:
    """PGD with random start and restarts on the summed cross-entropy.

    Args:
        model: maps [0, 255] images to logits; run in eval mode, its state restored afterwards.
        images: clean images (B, C, H, W) in [0, 255].
        target: (B, H, W) or (B, 1, H, W) labels: the truth (untargeted) or the target (targeted).
        eps: L-inf budget in grey levels.
        alpha: step size in grey levels (default 1, the paper's I-FGSM budget).
        steps: iterations per restart; default ``num_steps(eps, alpha)``.
        restarts: number of restarts; per image the most successful one is kept.
        random_start: start from a uniform random point of the eps-ball.
        targeted: descend the loss towards ``target`` instead of ascending it.
        seed: seed of the random starts; None uses the global RNG.
    """
    return projected_gradient_descent(
        model,
        images,
        target,
        eps,
        loss_factory=lambda y, n: cross_entropy_sum(y),
        alpha=alpha,
        steps=steps,
        restarts=restarts,
        random_start=random_start,
        targeted=targeted,
        seed=seed,
    )


class PGD(SegmentationAttack):
    """PGD (:func:`pgd`) as an attack object: ``PGD(alpha=..., steps=..., restarts=...)(model, images, label, eps)``.

    Args:
        alpha: step size in grey levels.
        steps: iterations per restart; default ``num_steps(eps, alpha)``.
        restarts: random restarts; per image the most successful one is kept.
        random_start: start from a uniform random point of the eps-ball.
        seed: seed of the random starts; None uses the global RNG.
        targeted: descend towards ``target_fn(label)`` instead of ascending away from the truth.
        target_fn: see :class:`~nlcen_monai.attacks.SegmentationAttack`.
        name: the table name; default ``"pgd"``.
    """

    name = "pgd"
    strength_attributes = ("steps", "restarts")
    _function = staticmethod(pgd)

    def __init__(
        self,
        alpha: float = 1.0,
        steps: int | None = None,
        restarts: int = 1,
        random_start: bool = True,
        seed: int | None = None,
        targeted: bool | None = None,
        target_fn: Callable[[torch.Tensor], torch.Tensor] | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(targeted=targeted, target_fn=target_fn, name=name)
        self.alpha = float(alpha)
        self.steps = None if steps is None else int(steps)
        self.restarts = int(restarts)
        self.random_start = bool(random_start)
        self.seed = seed

    def perturb(self, model: nn.Module, images: torch.Tensor, y: torch.Tensor, eps: float) -> torch.Tensor:
        return self._function(
            model,
            images,
            y,
            eps,
            alpha=self.alpha,
            steps=self.steps,
            restarts=self.restarts,
            random_start=self.random_start,
            targeted=self.targeted,
            seed=self.seed,
        )

    def cost(self, eps: float) -> float:
        """``restarts x (steps + 1)`` passes per image (the extra forward pass scores each restart)."""
        steps = num_steps(float(eps), self.alpha) if self.steps is None else self.steps
        return float(self.restarts * (steps + 1))
