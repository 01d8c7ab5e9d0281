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

The budget (:func:`pgd_budget`): by default ``steps = 50`` of ``alpha = 2.5 eps / steps``, Madry
et al.'s rule, which lets the iterates travel 2.5 eps in all, enough to cross the ball from a
random start and still move along its boundary, at any intensity (the paper's one grey level per
step makes a large ball take as many steps as it has grey levels). ``steps=None`` gives the
paper's budget instead: ``alpha = 1`` grey level and ``num_steps(eps)`` steps (:func:`~nlcen_monai.attacks.utils.num_steps`).
``step_ratio`` gives the step as a fraction of each call's eps instead (adversarial training's PGD-k).
The loop, :func:`projected_gradient_descent`, is shared by SegPGD, CosPGD and FGSM with random start.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn as nn
from monai.utils import convert_to_tensor

from .base import SegmentationAttack
from .utils import (
    LossFactory,
    MostSuccessful,
    as_index_target,
    attack_mode,
    cross_entropy_sum,
    eps_bounds,
    input_gradient,
    logits_of,
    num_steps,
    signed_step,
    uniform_start,
)

__all__ = ["pgd_budget", "projected_gradient_descent", "PGD", "DEFAULT_STEPS", "MADRY_STEP_FACTOR"]

#: the default number of PGD steps per restart
DEFAULT_STEPS = 50
#: the default step is ``MADRY_STEP_FACTOR * eps / steps`` (Madry et al. 2018)
MADRY_STEP_FACTOR = 2.5


def pgd_budget(eps: float, alpha: float | None, steps: int | None) -> tuple[float, int]:
    """The step size and step count ``(alpha, steps)`` that PGD-style attacks run at intensity ``eps``.

    Args:
        eps: the L-inf budget in grey levels.
        alpha: the step size in grey levels; None takes ``2.5 eps / steps`` for a fixed step count,
            or the paper's 1 grey level when ``steps`` is None.
        steps: the number of steps; None takes the paper's ``num_steps(eps, alpha)``.
    """
    if steps is None:
        alpha = 1.0 if alpha is None else float(alpha)
        return alpha, num_steps(eps, alpha)
    steps = int(steps)
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}.")
    if alpha is None:
        alpha = MADRY_STEP_FACTOR * eps / max(steps, 1)
    elif alpha <= 0:
        raise ValueError(f"alpha must be > 0, got {alpha}.")
    return float(alpha), steps


def projected_gradient_descent(
    model: nn.Module,
    images: torch.Tensor,
    target: torch.Tensor,
    eps: float,
    loss_factory: Callable[[torch.Tensor, int], Callable[[torch.Tensor, int], torch.Tensor]],
    alpha: float | None = None,
    steps: int | None = DEFAULT_STEPS,
    restarts: int = 1,
    random_start: bool = True,
    targeted: bool = False,
    seed: int | None = None,
) -> torch.Tensor:
    """The PGD loop of :class:`PGD`, :class:`~nlcen_monai.attacks.SegPGD`, :class:`~nlcen_monai.attacks.CosPGD`
    and :class:`~nlcen_monai.attacks.FGSMRS`, with the loss chosen by ``loss_factory``.

    Args:
        model: maps [0, 255] images to logits; run in eval mode, its state restored afterwards.
        images: clean images (B, C, *spatial) in [0, 255].
        target: (B, *spatial) or (B, 1, *spatial) labels: the target when ``targeted``, else the truth.
        eps: L-inf budget in grey levels.
        loss_factory: ``loss_factory(y, steps)`` returns ``loss_fn(logits, step)`` (a per-image sum).
        alpha: step size in grey levels; see :func:`pgd_budget`.
        steps: iterations per restart; see :func:`pgd_budget`.
        restarts: number of restarts (>= 1).
        random_start: start from a uniform random point of the eps-ball.
        targeted: descend the loss towards ``target`` instead of ascending it.
        seed: seed of the random starts (restart ``r`` uses ``seed + r``); None uses the global RNG.

    Returns:
        per image, the most successful restart's images (detached, in the ball and in [0, 255]).

    Raises:
        ValueError: when ``restarts`` is below 1.
    """
    if restarts < 1:
        raise ValueError(f"restarts must be >= 1, got {restarts}.")
    x0 = convert_to_tensor(images, track_meta=False).detach()
    y = as_index_target(target, x0)
    alpha, n = pgd_budget(eps, alpha, steps)
    loss_fn = loss_factory(y, n)
    bounds = eps_bounds(x0, eps)
    best = MostSuccessful(y, targeted)
    with attack_mode(model):
        for r in range(restarts):
            x = uniform_start(x0, eps, seed, r) if random_start and eps > 0 else x0.clone()
            for t in range(n):
                x = signed_step(x, input_gradient(model, x, loss_fn, t), alpha, descend=targeted, bounds=bounds)
            with torch.no_grad():
                best.update(x, logits_of(model, x))
    return best.images


class PGD(SegmentationAttack):
    """PGD with random start and restarts on the summed cross-entropy: ``PGD(steps=..., restarts=...)(model, images, label, eps)``.

    ``PGD()`` is the strong budget (50 steps of ``2.5 eps / 50``); ``PGD(steps=None)`` the paper's
    (steps of 1 grey level, ``num_steps(eps)`` of them). Adversarial training's PGD-k (Madry et al.
    2018) is ``PGD(steps=k, step_ratio=2.5 / k)``: its step follows each batch's budget.

    Args:
        alpha: step size in grey levels; default ``2.5 eps / steps`` (1 with ``steps=None``).
        steps: iterations per restart; default 50; None is the paper's ``num_steps(eps, alpha)``.
        restarts: random restarts; per image the most successful one is kept.
        random_start: start from a uniform random point of the eps-ball.
        seed: seed of the random starts; None uses the global RNG.
        targeted: descend towards ``target_fn(label)`` instead of ascending away from the truth.
        target_fn: see :class:`~nlcen_monai.attacks.SegmentationAttack`.
        name: the table name; default the class's name (``"pgd"``), with ``"_targeted"`` appended
            when targeted.
        step_ratio: the step as a fraction of eps (``alpha = step_ratio * eps``, computed in that
            order), instead of ``alpha``: for a budget that changes from call to call, as adversarial
            training's ramp does.

    Raises:
        ValueError: when both ``alpha`` and ``step_ratio`` are given, or ``step_ratio`` is not positive.
    """

    name = "pgd"
    strength_attributes = ("steps", "restarts")
    accepts_loss = True

    def __init__(
        self,
        alpha: float | None = None,
        steps: int | None = DEFAULT_STEPS,
        restarts: int = 1,
        random_start: bool = True,
        seed: int | None = None,
        targeted: bool | None = None,
        target_fn: Callable[[torch.Tensor], torch.Tensor] | None = None,
        name: str | None = None,
        step_ratio: float | None = None,
    ) -> None:
        super().__init__(targeted=targeted, target_fn=target_fn, name=name)
        if name is None and self.targeted:
            self.name = f"{self.name}_targeted"
        if alpha is not None and step_ratio is not None:
            raise ValueError(f"give alpha or step_ratio, not both (got {alpha} and {step_ratio}).")
        if step_ratio is not None and step_ratio <= 0:
            raise ValueError(f"step_ratio must be > 0, got {step_ratio}.")
        self.alpha = None if alpha is None else float(alpha)
        self.step_ratio = None if step_ratio is None else float(step_ratio)
        self.steps = None if steps is None else int(steps)
        self.restarts = int(restarts)
        self.random_start = bool(random_start)
        self.seed = seed

    def own_loss(self) -> LossFactory:
        """The loss this attack ascends (descends when targeted): the cross-entropy summed over pixels and images."""
        return lambda y, n: cross_entropy_sum(y)

    def step(self, eps: float) -> float | None:
        """The step size in grey levels at intensity ``eps`` (None: :func:`pgd_budget`'s default)."""
        return self.alpha if self.step_ratio is None else self.step_ratio * float(eps)

    def perturb(
        self, model: nn.Module, images: torch.Tensor, y: torch.Tensor, eps: float, loss: LossFactory | None = None
    ) -> torch.Tensor:
        return projected_gradient_descent(
            model,
            images,
            y,
            eps,
            self.own_loss() if loss is None else loss,
            alpha=self.step(eps),
            steps=self.steps,
            restarts=self.restarts,
            random_start=self.random_start,
            targeted=self.targeted,
            seed=self.seed,
        )

    def cost(self, eps: float) -> float:
        """``restarts x (steps + 1)`` passes per image: ``steps`` forward-backward passes per restart and
        one forward-only pass that scores the restart (counted as a whole pass)."""
        _, steps = pgd_budget(float(eps), self.step(eps), self.steps)
        return float(self.restarts * (steps + 1))
