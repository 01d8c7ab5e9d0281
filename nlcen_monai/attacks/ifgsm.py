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
"""Iterative FGSM in the [0, 255] pixel domain: the paper's targeted attack (Eq. 6) and the untargeted one.

:class:`TargetedIFGSM` and :class:`IFGSM` are the attack objects that configs build and evaluators
call (``attack(model, images, label, eps)``); :func:`iterative_fgsm` is their algorithm.
:func:`targeted_ifgsm` is the paper's attack as a function on target labels, importable from this
module only (the benchmarks' reference runs call it).

Kurakin et al. (2016): ``x_{t+1} = clip_{x, eps}(x_t -/+ alpha * sign(grad_x CE(f(x_t), y)))``,
also clipped to [0, 255]; ``num_steps(eps, alpha)`` iterations by default. Written by hand
because no MONAI/Ignite attack exists and torchattacks' BIM floors the step count, works in
[0, 1] and is untargeted by default.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn as nn
from monai.utils import convert_to_tensor

from .base import SegmentationAttack
from .sweep import sweep, sweep_plan
from .utils import as_index_target, attack_mode, cross_entropy_sum, eps_bounds, input_gradient, num_steps, signed_step

__all__ = ["iterative_fgsm", "targeted_ifgsm", "TargetedIFGSM", "IFGSM"]


def iterative_fgsm(
    model: nn.Module,
    images: torch.Tensor,
    target: torch.Tensor,
    eps: float,
    alpha: float = 1.0,
    steps: int | None = None,
    targeted: bool = True,
) -> torch.Tensor:
    """Iterative FGSM, targeted (descend the CE to ``target``) or untargeted (ascend the CE to ``target``).

    Args:
        model: maps [0, 255] images (B, C, H, W) to logits (B, num_classes, H, W); run in eval mode,
            its mode and ``requires_grad`` flags are restored afterwards (also on exception).
        images: clean images in [0, 255].
        target: (B, H, W) or (B, 1, H, W) class indices: the target labels when ``targeted``,
            the true labels otherwise.
        eps: L-inf budget in grey levels.
        alpha: step size in grey levels.
        steps: number of iterations; default ``num_steps(eps, alpha)``.
        targeted: descend towards ``target`` (True) or ascend away from it (False).

    Returns:
        The adversarial images, same dtype and device as ``images``, detached.
    """
    x0 = convert_to_tensor(images, track_meta=False).detach()
    y = as_index_target(target, x0)
    n = num_steps(eps, alpha) if steps is None else int(steps)
    loss_fn = cross_entropy_sum(y)
    bounds = eps_bounds(x0, eps)
    x = x0.clone()
    with attack_mode(model):
        for t in range(n):
            grad = input_gradient(model, x, loss_fn, t)
            x = signed_step(x, grad, alpha, descend=targeted, bounds=bounds)
    return x


def targeted_ifgsm(
    model: nn.Module,
    images: torch.Tensor,
    target: torch.Tensor,
    eps: float,
    alpha: float = 1.0,
    steps: int | None = None,
) -> torch.Tensor:
    """The paper's targeted I-FGSM (Eq. 6, in grey levels): step ``x - alpha * sign(grad CE(f(x), target))``.

    Args:
        model: maps [0, 255] images to logits; run in eval mode, its state restored afterwards.
        images: clean images (B, C, H, W) in [0, 255].
        target: (B, H, W) or (B, 1, H, W) target labels, e.g. ``inverse_target(label)``.
        eps: L-inf budget in grey levels.
        alpha: step size in grey levels (the paper: 1).
        steps: number of iterations; default ``num_steps(eps, alpha)``.
    """
    return iterative_fgsm(model, images, target, eps, alpha=alpha, steps=steps, targeted=True)


class TargetedIFGSM(SegmentationAttack):
    """The paper's targeted I-FGSM as an attack object; its :meth:`sweep` is the exact shared-prefix sweep.

    Args:
        alpha: step size in grey levels (the paper: 1).
        steps: iterations; default ``num_steps(eps, alpha)`` (the paper's schedule, which the sweep
            reproduces exactly; with a fixed count the sweep falls back to one run per intensity).
        targeted: True (default) descends the CE to ``target_fn(label)``; False is untargeted I-FGSM.
        target_fn: see :class:`~nlcen_monai.attacks.SegmentationAttack`.
        name: the table name; default ``"targeted_ifgsm"`` (``"ifgsm"`` when untargeted).
    """

    name = "targeted_ifgsm"
    default_targeted = True

    def __init__(
        self,
        alpha: float = 1.0,
        steps: int | None = None,
        targeted: bool | None = None,
        target_fn: Callable[[torch.Tensor], torch.Tensor] | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(targeted=targeted, target_fn=target_fn, name=name)
        if name is None and not self.targeted:
            self.name = "ifgsm"
        self.alpha = float(alpha)
        self.steps = None if steps is None else int(steps)
        # the trunk/fork sweep reproduces the default step count only
        self.sweepable = self.steps is None

    def perturb(self, model: nn.Module, images: torch.Tensor, y: torch.Tensor, eps: float) -> torch.Tensor:
        return iterative_fgsm(model, images, y, eps, alpha=self.alpha, steps=self.steps, targeted=self.targeted)

    def sweep(
        self,
        model: nn.Module,
        images: torch.Tensor,
        label: torch.Tensor,
        epsilons: Sequence[float],
        max_batch: int | None = None,
    ) -> dict[float, torch.Tensor]:
        """Every intensity at once with the shared-prefix sweep (``nlcen_monai.attacks.sweep``) when exact."""
        if not self.sweepable:
            return super().sweep(model, images, label, epsilons, max_batch)
        positive = [float(e) for e in epsilons if float(e) > 0]
        x0 = convert_to_tensor(images, track_meta=False).detach()
        swept = sweep(
            model, x0, self.target_for(label), positive, alpha=self.alpha, max_batch=max_batch, targeted=self.targeted
        )
        return {float(e): swept[float(e)] if float(e) > 0 else x0.clone() for e in epsilons}

    def cost(self, eps: float) -> float:
        """``steps`` or ``num_steps(eps, alpha)`` forward-backward passes per image."""
        return float(num_steps(float(eps), self.alpha) if self.steps is None else self.steps)

    def sweep_cost(self, epsilons: Sequence[float]) -> float:
        """The shared-prefix sweep's passes per image: the trunk to the last fork point plus every fork's tail."""
        if not self.sweepable:
            return super().sweep_cost(epsilons)
        plan = sweep_plan([float(e) for e in epsilons if float(e) > 0], self.alpha)
        return float(max((k for k, _ in plan.values()), default=0) + sum(n - k for k, n in plan.values()))


class IFGSM(TargetedIFGSM):
    """Untargeted I-FGSM (the basic iterative method): ascend the CE to the true labels.

    Args:
        alpha: step size in grey levels.
        steps: iterations; default ``num_steps(eps, alpha)``.
        name: the table name; default ``"ifgsm"``.
    """

    name = "ifgsm"
    default_targeted = False

    def __init__(self, alpha: float = 1.0, steps: int | None = None, name: str | None = None) -> None:
        super().__init__(alpha=alpha, steps=steps, targeted=False, name=name)
