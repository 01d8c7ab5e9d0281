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
"""Crafting the adversarial training images of a batch with the project's own PGD.

Two methods, both :func:`nlcen_monai.attacks.pgd` (one restart, uniform random start in the
eps-ball, signed steps projected on the ball and on [0, 255], network in eval mode through
``attack_mode`` so BatchNorm uses its running statistics and nothing of the network changes):

- ``"pgd"``: PGD-k of Madry et al. (2018), ``steps = k`` iterations of step ``step_ratio * eps``
  (default ``2.5 * eps / k``, Madry et al.'s rule);
- ``"fgsm_rs"``: FGSM with random start of Wong et al. (2020, "Fast is better than free"), one step
  of ``step_ratio * eps`` (default ``1.25 * eps``) from a uniform random point of the ball: the
  cheap variant, one forward-backward pass per batch on top of clean training.

Both maximise the cross entropy against the true labels; with ``loss="trades_kl"`` they maximise
TRADES' ``KL(f(x) || f(x_adv))`` against the network's own clean prediction instead (Zhang et al.
2019; their reference code starts from ``x + 0.001 N(0, 1)``, here from a uniform point of the
ball, which the KL's zero gradient at ``x_adv = x`` needs just as well).

Random starts are drawn from a CPU generator seeded by :func:`iteration_seed` (the config seed,
the trainer's iteration, the process rank), so that the same seed gives the same run and a
resumed run draws what the uninterrupted run would have drawn.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn

from nlcen_monai.attacks import attack_mode, pgd, projected_gradient_descent

from .objective import trades_kl

__all__ = ["CRAFT_METHODS", "CRAFT_LOSSES", "craft_adversarial", "default_step_ratio", "iteration_seed"]

CRAFT_METHODS = ("pgd", "fgsm_rs")
CRAFT_LOSSES = ("ce", "trades_kl")


def default_step_ratio(method: str, steps: int) -> float:
    """The step size as a fraction of eps: ``1.25`` for FGSM-RS (Wong et al.), ``2.5 / steps`` for PGD (Madry et al.).

    Args:
        method: ``"pgd"`` or ``"fgsm_rs"``.
        steps: the PGD iterations.
    """
    if method not in CRAFT_METHODS:
        raise ValueError(f"method must be one of {CRAFT_METHODS}, got {method!r}.")
    return 1.25 if method == "fgsm_rs" else 2.5 / steps


def iteration_seed(seed: int | None, *keys: int) -> int | None:
    """A 32-bit seed derived from ``seed`` and ``keys`` (e.g. iteration and rank); None stays None.

    NumPy's ``SeedSequence`` hashes the tuple, so neighbouring iterations get unrelated seeds.

    Args:
        seed: the run's seed (the bundle's ``seed``), or None for the global random generator.
        keys: non-negative integers that identify the draw.
    """
    if seed is None:
        return None
    return int(np.random.SeedSequence([int(seed), *(int(k) for k in keys)]).generate_state(1)[0])


def craft_adversarial(
    model: nn.Module,
    images: torch.Tensor,
    label: torch.Tensor,
    eps: float,
    method: str = "pgd",
    steps: int = 5,
    step_ratio: float | None = None,
    loss: str = "ce",
    seed: int | None = None,
) -> torch.Tensor:
    """Adversarial images for one training batch.

    Args:
        model: maps [0, 255] images to logits in eval mode; for a DDP-wrapped network pass its
            ``.module`` (crafting must not go through DDP's forward, which prepares a gradient
            all-reduce). Its mode and ``requires_grad`` flags are restored afterwards.
        images: clean images (B, C, *spatial) in [0, 255].
        label: true labels (B, 1, *spatial) or (B, *spatial).
        eps: L-inf budget in grey levels (0 returns a copy of ``images``).
        method: ``"pgd"`` or ``"fgsm_rs"``.
        steps: PGD iterations (``"fgsm_rs"`` always takes one).
        step_ratio: the step size as a fraction of ``eps``; default :func:`default_step_ratio`.
        loss: ``"ce"`` (cross entropy against ``label``) or ``"trades_kl"`` (TRADES' KL against the
            model's clean prediction).
        seed: seed of the random start; None uses the global generator.

    Returns:
        detached images in ``[images - eps, images + eps]`` and in [0, 255].
    """
    if method not in CRAFT_METHODS:
        raise ValueError(f"method must be one of {CRAFT_METHODS}, got {method!r}.")
    if loss not in CRAFT_LOSSES:
        raise ValueError(f"loss must be one of {CRAFT_LOSSES}, got {loss!r}.")
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}.")
    iterations = 1 if method == "fgsm_rs" else int(steps)
    ratio = default_step_ratio(method, iterations) if step_ratio is None else float(step_ratio)
    if ratio <= 0:
        raise ValueError(f"step_ratio must be > 0, got {ratio}.")
    eps = float(eps)
    if eps == 0:
        return images.detach().clone()
    options = {"alpha": ratio * eps, "steps": iterations, "restarts": 1, "random_start": True, "seed": seed}
    if loss == "ce":
        return pgd(model, images, label, eps, **options)
    with attack_mode(model), torch.no_grad():
        reference = model(images)
    return projected_gradient_descent(
        model, images, label, eps, loss_factory=lambda y, n: lambda logits, step: trades_kl(logits, reference, "sum"), **options
    )
