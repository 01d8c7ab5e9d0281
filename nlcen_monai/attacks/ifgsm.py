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

Kurakin et al. (2016): ``x_{t+1} = clip_{x, eps}(x_t -/+ alpha * sign(grad_x CE(f(x_t), y)))``,
also clipped to [0, 255]; ``num_steps(eps, alpha)`` iterations by default. Written by hand
because no MONAI/Ignite attack exists and torchattacks' BIM floors the step count, works in
[0, 1] and is untargeted by default.
"""

from __future__ import annotations

import torch
import torch.nn as nn
from monai.utils import convert_to_tensor

from .utils import as_index_target, attack_mode, cross_entropy_sum, eps_bounds, input_gradient, num_steps, signed_step

__all__ = ["targeted_ifgsm", "ifgsm", "iterative_fgsm"]


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
    """The paper's targeted I-FGSM (Eq. 6, DESIGN section 4.1): step ``x - alpha * sign(grad CE(f(x), target))``.

    Args:
        model: maps [0, 255] images to logits; run in eval mode, its state restored afterwards.
        images: clean images (B, C, H, W) in [0, 255].
        target: (B, H, W) or (B, 1, H, W) target labels, e.g. ``inverse_target(label)``.
        eps: L-inf budget in grey levels.
        alpha: step size in grey levels (the paper: 1).
        steps: number of iterations; default ``num_steps(eps, alpha)``.
    """
    return iterative_fgsm(model, images, target, eps, alpha=alpha, steps=steps, targeted=True)


def ifgsm(
    model: nn.Module,
    images: torch.Tensor,
    target: torch.Tensor,
    eps: float,
    alpha: float = 1.0,
    steps: int | None = None,
) -> torch.Tensor:
    """Untargeted I-FGSM (basic iterative method): step ``x + alpha * sign(grad CE(f(x), label))``.

    Args:
        model: maps [0, 255] images to logits; run in eval mode, its state restored afterwards.
        images: clean images (B, C, H, W) in [0, 255].
        target: (B, H, W) or (B, 1, H, W) true labels (the loss to increase).
        eps: L-inf budget in grey levels.
        alpha: step size in grey levels.
        steps: number of iterations; default ``num_steps(eps, alpha)``.
    """
    return iterative_fgsm(model, images, target, eps, alpha=alpha, steps=steps, targeted=False)
