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

Three methods, all with the network in eval mode through ``attack_mode`` (BatchNorm uses its
running statistics and nothing of the network changes):

- ``"pgd"``: PGD-k of Madry et al. (2018), ``steps = k`` iterations of step ``step_ratio * eps``
  (default ``2.5 * eps / k``, Madry et al.'s rule);
- ``"fgsm_rs"``: FGSM with random start of Wong et al. (2020, "Fast is better than free"), one step
  of ``step_ratio * eps`` (default ``1.25 * eps``) from a uniform random point of the ball: the
  cheap variant, one forward-backward pass per batch on top of clean training;
- ``"n_fgsm"``: N-FGSM of de Jorge et al. (2022, "Make some noise: reliable and efficient
  single-step adversarial training"), one step of ``step_ratio * eps`` (default ``eps``) from
  ``x + U(-k eps, k eps)`` (``k = noise_ratio``, default 2), with no projection on the eps-ball
  (only the clip to [0, 255]): the perturbation reaches ``(k + step_ratio) eps``; the strong noise
  and the missing projection are what de Jorge et al. find keeps single-step training from
  overfitting catastrophically, at the cost of FGSM-RS (one forward-backward pass).

``"pgd"`` and ``"fgsm_rs"`` are the project's PGD (:func:`nlcen_monai.attacks.projected_gradient_descent`:
one restart, uniform random start in the eps-ball, signed steps projected on the ball and on
[0, 255]); ``"n_fgsm"``, whose start and
step leave the ball, is the single step written with the same pieces (``uniform_start``,
``input_gradient``, ``signed_step`` without bounds). All maximise the cross entropy against the
true labels; with ``loss="trades_kl"`` they maximise TRADES' ``KL(f(x) || f(x_adv))`` against the
network's own clean prediction instead (Zhang et al. 2019; their reference code starts from
``x + 0.001 N(0, 1)``, here from a uniform random point, which the KL's zero gradient at
``x_adv = x`` needs just as well).

Random starts are drawn from a CPU generator seeded by :func:`iteration_seed` (the config seed,
the trainer's iteration, the process rank), so that the same seed gives the same run and a
resumed run draws what the uninterrupted run would have drawn.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn as nn
from monai.utils import convert_to_tensor

from nlcen_monai.attacks import attack_mode, projected_gradient_descent
from nlcen_monai.attacks.utils import as_index_target, cross_entropy_sum, input_gradient, signed_step, uniform_start

from .objective import trades_kl

__all__ = [
    "CRAFT_METHODS",
    "CRAFT_LOSSES",
    "SINGLE_STEP_METHODS",
    "DEFAULT_NOISE_RATIO",
    "craft_adversarial",
    "default_step_ratio",
    "iteration_seed",
]

CRAFT_METHODS = ("pgd", "fgsm_rs", "n_fgsm")
CRAFT_LOSSES = ("ce", "trades_kl")
#: the methods that take one gradient step (those the catastrophic-overfitting guard watches)
SINGLE_STEP_METHODS = ("fgsm_rs", "n_fgsm")
#: N-FGSM's noise magnitude ``k`` (the start is ``x + U(-k eps, k eps)``; de Jorge et al. use 2)
DEFAULT_NOISE_RATIO = 2.0


def default_step_ratio(method: str, steps: int) -> float:
    """The step size as a fraction of eps: ``1.25`` for FGSM-RS (Wong et al.), ``1`` for N-FGSM
    (de Jorge et al.), ``2.5 / steps`` for PGD (Madry et al.).

    Args:
        method: ``"pgd"``, ``"fgsm_rs"`` or ``"n_fgsm"``.
        steps: the PGD iterations.
    """
    if method not in CRAFT_METHODS:
        raise ValueError(f"method must be one of {CRAFT_METHODS}, got {method!r}.")
    return {"fgsm_rs": 1.25, "n_fgsm": 1.0}.get(method, 2.5 / steps)


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
    noise_ratio: float = DEFAULT_NOISE_RATIO,
) -> torch.Tensor:
    """Adversarial images for one training batch.

    Args:
        model: maps [0, 255] images to logits in eval mode; for a DDP-wrapped network pass its
            ``.module`` (crafting must not go through DDP's forward, which prepares a gradient
            all-reduce). Its mode and ``requires_grad`` flags are restored afterwards.
        images: clean images (B, C, *spatial) in [0, 255].
        label: true labels (B, 1, *spatial) or (B, *spatial).
        eps: L-inf budget in grey levels (0 returns a copy of ``images``).
        method: ``"pgd"``, ``"fgsm_rs"`` or ``"n_fgsm"``.
        steps: PGD iterations (``"fgsm_rs"`` and ``"n_fgsm"`` always take one).
        step_ratio: the step size as a fraction of ``eps``; default :func:`default_step_ratio`.
        loss: ``"ce"`` (cross entropy against ``label``) or ``"trades_kl"`` (TRADES' KL against the
            model's clean prediction).
        seed: seed of the random start; None uses the global generator.
        noise_ratio: for ``"n_fgsm"``, the noise magnitude ``k`` of the start ``x + U(-k eps, k eps)``
            (>= 0; ignored by the other methods).

    Returns:
        detached images in [0, 255], in ``[images - eps, images + eps]`` for ``"pgd"`` and
        ``"fgsm_rs"``, in ``[images - r eps, images + r eps]`` with ``r = noise_ratio + step_ratio``
        for ``"n_fgsm"``.
    """
    if method not in CRAFT_METHODS:
        raise ValueError(f"method must be one of {CRAFT_METHODS}, got {method!r}.")
    if loss not in CRAFT_LOSSES:
        raise ValueError(f"loss must be one of {CRAFT_LOSSES}, got {loss!r}.")
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}.")
    if noise_ratio < 0:
        raise ValueError(f"noise_ratio must be >= 0, got {noise_ratio}.")
    iterations = 1 if method in SINGLE_STEP_METHODS else int(steps)
    ratio = default_step_ratio(method, iterations) if step_ratio is None else float(step_ratio)
    if ratio <= 0:
        raise ValueError(f"step_ratio must be > 0, got {ratio}.")
    eps = float(eps)
    if eps == 0:
        return images.detach().clone()
    loss_factory = _loss_factory(model, images, loss)
    if method == "n_fgsm":
        return _noisy_fgsm(model, images, label, float(noise_ratio) * eps, ratio * eps, loss_factory, seed)
    return projected_gradient_descent(
        model, images, label, eps, loss_factory, alpha=ratio * eps, steps=iterations, restarts=1, random_start=True, seed=seed
    )


LossFactory = Callable[[torch.Tensor, int], Callable[[torch.Tensor, int], torch.Tensor]]


def _loss_factory(model: nn.Module, images: torch.Tensor, loss: str) -> LossFactory:
    """What crafting maximises, as ``projected_gradient_descent``'s ``loss_factory``.

    Args:
        model: the network (for TRADES' clean reference prediction, one eval-mode pass).
        images: the clean images.
        loss: ``"ce"`` or ``"trades_kl"``.
    """
    if loss == "ce":
        return lambda y, n: cross_entropy_sum(y)
    with attack_mode(model), torch.no_grad():
        reference = model(images)
    return lambda y, n: lambda logits, step: trades_kl(logits, reference, "sum")


def _noisy_fgsm(
    model: nn.Module,
    images: torch.Tensor,
    label: torch.Tensor,
    noise: float,
    alpha: float,
    loss_factory: LossFactory,
    seed: int | None,
) -> torch.Tensor:
    """N-FGSM: one signed step of ``alpha`` from ``x + U(-noise, noise)``, clipped to [0, 255] only (no eps-ball).

    Args:
        model: the network (run in eval mode, its state restored).
        images: clean images in [0, 255].
        label: true labels.
        noise: the noise magnitude in grey levels (0: start from the clean images).
        alpha: the step in grey levels.
        loss_factory: what the step ascends, as in ``projected_gradient_descent``.
        seed: seed of the noise; None uses the global generator.
    """
    x0 = convert_to_tensor(images, track_meta=False).detach()
    loss_fn = loss_factory(as_index_target(label, x0), 1)
    with attack_mode(model):
        start = uniform_start(x0, noise, seed) if noise > 0 else x0.clone()
        return signed_step(start, input_gradient(model, start, loss_fn), alpha, descend=False, bounds=None)
