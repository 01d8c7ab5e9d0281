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
"""FGSM with random start (Wong et al. 2020, "Fast is better than free: revisiting adversarial training").

One signed gradient step of ``step_ratio * eps`` (default ``1.25 eps``, Wong et al.'s) from a uniform
random point of the eps-ball, projected on the ball and on [0, 255]: PGD with one step
(:func:`~nlcen_monai.attacks.pgd.projected_gradient_descent`). It is the cheap crafting of
single-step adversarial training, one forward-backward pass per batch on top of clean training, and
the probe of the catastrophic-overfitting guard (:class:`~nlcen_monai.defense.CatastrophicOverfittingGuard`).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from .pgd import PGD

__all__ = ["FGSMRS", "WONG_STEP_RATIO"]

#: Wong et al.'s step, a fraction of eps
WONG_STEP_RATIO = 1.25


class FGSMRS(PGD):
    """FGSM with random start: ``FGSMRS()(model, images, label, eps)`` (see the module docstring).

    Each restart takes one step from its own random start (two passes per image: the step and the
    scoring forward pass); per image the most successful restart is kept. ``strengthened(2)`` doubles
    the restarts. It takes a ``loss`` argument as :class:`~nlcen_monai.attacks.PGD` does.

    Args:
        step_ratio: the step as a fraction of eps (default 1.25).
        restarts: random starts; per image the most successful one is kept.
        seed: seed of the random starts; None uses the global RNG.
        targeted: descend towards ``target_fn(label)`` instead of ascending away from the truth.
        target_fn: see :class:`~nlcen_monai.attacks.SegmentationAttack`.
        name: the table name; default ``"fgsm_rs"`` (``"fgsm_rs_targeted"`` when targeted).

    Raises:
        ValueError: when ``step_ratio`` is not positive.
    """

    name = "fgsm_rs"
    strength_attributes = ("restarts",)

    def __init__(
        self,
        step_ratio: float = WONG_STEP_RATIO,
        restarts: int = 1,
        seed: int | None = None,
        targeted: bool | None = None,
        target_fn: Callable[[torch.Tensor], torch.Tensor] | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(
            steps=1,
            restarts=restarts,
            random_start=True,
            seed=seed,
            targeted=targeted,
            target_fn=target_fn,
            name=name,
            step_ratio=step_ratio,
        )
