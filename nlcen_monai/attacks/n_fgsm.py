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
"""N-FGSM (de Jorge et al. 2022, "Make some noise: reliable and efficient single-step adversarial training").

One signed gradient step of ``step_ratio * eps`` (default ``eps``) from ``x + U(-k eps, k eps)``
(``k = noise_ratio``, default 2), with no projection on the eps-ball, only the clip to [0, 255]: the
perturbation reaches ``(k + step_ratio) eps``. The strong noise and the missing projection are what
de Jorge et al. find keeps single-step adversarial training from overfitting catastrophically, at
the cost of FGSM with random start (one forward-backward pass). It is a training attack: its
images leave the eps-ball, so it is not in :data:`~nlcen_monai.attacks.ATTACKS` and must not be
used to measure robustness at ``eps``.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn as nn

from .base import SegmentationAttack
from .utils import LossFactory, attack_mode, cross_entropy_sum, input_gradient, signed_step, uniform_start

__all__ = ["NFGSM", "DEFAULT_NOISE_RATIO"]

#: the noise magnitude ``k`` of the start ``x + U(-k eps, k eps)`` (de Jorge et al. use 2)
DEFAULT_NOISE_RATIO = 2.0


class NFGSM(SegmentationAttack):
    """N-FGSM: ``NFGSM()(model, images, label, eps)`` (see the module docstring).

    Returns images in ``[images - r eps, images + r eps]`` with ``r = noise_ratio + step_ratio``, and in
    [0, 255]. One forward-backward pass per image. It takes a ``loss`` argument (adversarial training's
    TRADES crafts on its KL).

    Args:
        step_ratio: the step as a fraction of eps (default 1).
        noise_ratio: the noise magnitude ``k`` of the start, a fraction of eps (>= 0; 0 starts from the
            clean images: an FGSM step without projection).
        seed: seed of the noise; None uses the global RNG.
        targeted: descend towards ``target_fn(label)`` instead of ascending away from the truth.
        target_fn: see :class:`~nlcen_monai.attacks.SegmentationAttack`.
        name: the table name; default ``"n_fgsm"``.

    Raises:
        ValueError: when ``step_ratio`` is not positive or ``noise_ratio`` is negative.
    """

    name = "n_fgsm"
    accepts_loss = True

    def __init__(
        self,
        step_ratio: float = 1.0,
        noise_ratio: float = DEFAULT_NOISE_RATIO,
        seed: int | None = None,
        targeted: bool | None = None,
        target_fn: Callable[[torch.Tensor], torch.Tensor] | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(targeted=targeted, target_fn=target_fn, name=name)
        if step_ratio <= 0:
            raise ValueError(f"step_ratio must be > 0, got {step_ratio}.")
        if noise_ratio < 0:
            raise ValueError(f"noise_ratio must be >= 0, got {noise_ratio}.")
        self.step_ratio = float(step_ratio)
        self.noise_ratio = float(noise_ratio)
        self.seed = seed

    def perturb(
        self, model: nn.Module, images: torch.Tensor, y: torch.Tensor, eps: float, loss: LossFactory | None = None
    ) -> torch.Tensor:
        loss_fn = cross_entropy_sum(y) if loss is None else loss(y, 1)
        noise = self.noise_ratio * eps
        with attack_mode(model):
            start = uniform_start(images, noise, self.seed) if noise > 0 else images.clone()
            grad = input_gradient(model, start, loss_fn)
            return signed_step(start, grad, self.step_ratio * eps, descend=self.targeted, bounds=None)

    def cost(self, eps: float) -> float:
        """One forward-backward pass per image (no scoring pass)."""
        return 1.0
