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
"""ELLE, the local-linearity regulariser against catastrophic overfitting (Abad Rocamora et al., ICLR 2024).

"Efficient local linearity regularization to overcome catastrophic overfitting": single-step
adversarial training (FGSM-RS, N-FGSM) collapses when the loss stops being locally linear in the
input, so ELLE penalises the loss's departure from linearity on a random segment of the eps-ball.
Per image ``x`` with labels ``y``:

    x_a, x_b ~ U(eps-ball of x) (clipped to [0, 255]),  alpha ~ U[0, 1],
    x_c = alpha x_a + (1 - alpha) x_b,
    E = (L(x_c) - alpha L(x_a) - (1 - alpha) L(x_b)) ** 2,

with ``L`` the per-image loss, here the cross entropy of the final output against ``y`` averaged
over the image's pixels (:func:`per_image_cross_entropy`), and the training loss gains
``lambda * mean_images(E)``. It needs three extra forward images per image and no double
backpropagation (the gradient goes through the parameters only); the adversarial trainer puts the
three points in its one training forward (:meth:`~nlcen_monai.defense.AdversarialObjective.training_inputs`).

ELLE-A, the adaptive variant (:class:`AdaptiveLinearityWeight`), starts from ``lambda = 0`` and, after
each batch, raises ``lambda`` to ``lambda_max`` when the batch's ``E`` exceeds the mean plus
``sensitivity`` standard deviations of all earlier batches' ``E`` (after at least three), else
multiplies it by ``decay``; this is the rule of the authors' code (``lambda_schedule="onoff"``),
whose defaults are ``lambda_max = 4000``, ``decay = 0.99``, ``sensitivity = 2``.

Differences from the authors' code: the points are clipped to the valid pixel range (their
training term does not clip to [0, 1]); the points share the training forward, and so the
BatchNorm batch statistics, with the adversarial (and clean) images instead of a forward of their
own; the running mean and standard deviation are kept as Welford sums rather than a list of every
value (the same numbers, population standard deviation as ``np.std``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import NamedTuple

import torch
import torch.nn.functional as F

from nlcen_monai.attacks.utils import as_index_target, generator

__all__ = [
    "AdaptiveLinearityWeight",
    "ELLE_A_DECAY",
    "ELLE_A_MAX_WEIGHT",
    "ELLE_A_SENSITIVITY",
    "LinearityPoints",
    "draw_linearity_points",
    "linearity_error",
    "per_image_cross_entropy",
]

#: the authors' ELLE-A settings (CIFAR-10/SVHN scripts and parser defaults)
ELLE_A_MAX_WEIGHT = 4000.0
ELLE_A_DECAY = 0.99
ELLE_A_SENSITIVITY = 2.0
# ELLE-A compares with the statistics of at least this many earlier batches
_MIN_HISTORY = 3


class LinearityPoints(NamedTuple):
    """The random segment of ELLE for a batch: its two ends, the point between them and the weights.

    ``a``, ``b`` and ``c`` are ``(B, C, *spatial)`` images, ``alpha`` is ``(B,)`` with
    ``c = alpha a + (1 - alpha) b`` per image.
    """

    a: torch.Tensor
    b: torch.Tensor
    c: torch.Tensor
    alpha: torch.Tensor


def draw_linearity_points(images: torch.Tensor, eps: float, seed: int | None = None) -> LinearityPoints:
    """ELLE's points for ``images``: two uniform points of the L_inf eps-ball, clipped to [0, 255], and
    the convex combination ``c = alpha a + (1 - alpha) b`` with ``alpha ~ U[0, 1]`` per image.

    The random numbers are drawn on the CPU from ``generator(seed)`` and moved to the images' device
    (as the attacks draw theirs), so the same seed gives the same points on any device. As a convex
    combination of points of the (clipped) ball, ``c`` is in the ball and in [0, 255] too.

    Args:
        images: the clean images ``(B, C, *spatial)`` in [0, 255].
        eps: the budget in grey levels (>= 0).
        seed: the seed of the draw; None uses the global random generator.

    Returns:
        the :class:`LinearityPoints` (detached, in the images' dtype).

    Raises:
        ValueError: when ``eps`` is negative.
    """
    if eps < 0:
        raise ValueError(f"eps must be >= 0, got {eps}.")
    gen = generator(seed)
    batch = images.shape[0]
    noise = torch.rand((2, *images.shape), generator=gen, dtype=torch.float32)
    alpha = torch.rand((batch,), generator=gen, dtype=torch.float32)
    noise = noise.to(device=images.device, dtype=images.dtype)
    alpha = alpha.to(device=images.device, dtype=images.dtype)
    clean = images.detach()
    a, b = ((clean + eps * (2.0 * n - 1.0)).clamp(0.0, 255.0) for n in noise)
    weight = alpha.view(batch, *(1,) * (images.dim() - 1))
    return LinearityPoints(a, b, weight * a + (1.0 - weight) * b, alpha)


def per_image_cross_entropy(logits: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
    """ELLE's per-image loss for segmentation: the pixel-wise cross entropy averaged over each image.

    Computed in float32 (safe under AMP).

    Args:
        logits: ``(B, C, *spatial)``.
        label: the labels ``(B, 1, *spatial)`` or ``(B, *spatial)``, class indices in any dtype.

    Returns:
        the ``(B,)`` losses.
    """
    target = as_index_target(label, logits)
    return F.cross_entropy(logits.float(), target, reduction="none").flatten(1).mean(dim=1)


def linearity_error(loss_a: torch.Tensor, loss_b: torch.Tensor, loss_c: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
    """The per-image local-linearity error ``(L(c) - alpha L(a) - (1 - alpha) L(b)) ** 2``.

    Args:
        loss_a: the ``(B,)`` losses at ``a``.
        loss_b: the ``(B,)`` losses at ``b``.
        loss_c: the ``(B,)`` losses at ``c = alpha a + (1 - alpha) b``.
        alpha: the ``(B,)`` weights.

    Returns:
        the ``(B,)`` errors (0 where the loss is linear along the segment).
    """
    alpha = alpha.to(loss_c.dtype)
    return (loss_c - alpha * loss_a - (1.0 - alpha) * loss_b) ** 2


class AdaptiveLinearityWeight:
    """ELLE-A's weight schedule: ``lambda_max`` when the error jumps, else a geometric decay (see the
    module docstring).

    The schedule itself holds no state: its state is a plain dict (:meth:`initial_state`, updated by
    :meth:`update`) that the trainer keeps in ``engine.state`` and saves with its state dict, so a
    resumed run continues with the weight and the running statistics it stopped with.

    Args:
        max_weight: ``lambda_max`` (> 0), the weight set when the error exceeds its running mean by
            more than ``sensitivity`` standard deviations.
        decay: the factor in (0, 1] applied to the weight after every other batch.
        sensitivity: ``k`` (>= 0) of the ``mean + k std`` threshold.

    Raises:
        ValueError: for a non-positive ``max_weight``, a ``decay`` outside (0, 1] or a negative ``sensitivity``.
    """

    def __init__(
        self, max_weight: float = ELLE_A_MAX_WEIGHT, decay: float = ELLE_A_DECAY, sensitivity: float = ELLE_A_SENSITIVITY
    ) -> None:
        if max_weight <= 0:
            raise ValueError(f"max_weight must be > 0, got {max_weight}.")
        if not 0.0 < decay <= 1.0:
            raise ValueError(f"decay must be in (0, 1], got {decay}.")
        if sensitivity < 0:
            raise ValueError(f"sensitivity must be >= 0, got {sensitivity}.")
        self.max_weight = float(max_weight)
        self.decay = float(decay)
        self.sensitivity = float(sensitivity)

    @staticmethod
    def initial_state() -> dict:
        """The state before the first batch: weight 0 (as the authors' ELLE-A starts) and no history.

        Returns:
            ``{"weight", "count", "mean", "m2"}``: the current weight and the Welford sums of the errors seen.
        """
        return {"weight": 0.0, "count": 0, "mean": 0.0, "m2": 0.0}

    def threshold(self, state: Mapping) -> float | None:
        """``mean + sensitivity * std`` of the errors in ``state`` (None before three errors).

        Args:
            state: a schedule state.
        """
        if state["count"] < _MIN_HISTORY:
            return None
        return state["mean"] + self.sensitivity * math.sqrt(max(state["m2"], 0.0) / state["count"])

    def update(self, state: Mapping, error: float) -> dict:
        """The state after a batch whose mean local-linearity error is ``error``: the new weight (for the
        next batch), then ``error`` added to the running statistics.

        Args:
            state: the schedule state before the batch (not modified).
            error: the batch's error (all ranks should pass the same value).

        Returns:
            the new state.
        """
        error = float(error)
        threshold = self.threshold(state)
        weight = self.max_weight if threshold is not None and error > threshold else state["weight"] * self.decay
        count = state["count"] + 1
        delta = error - state["mean"]
        mean = state["mean"] + delta / count
        return {"weight": weight, "count": count, "mean": mean, "m2": state["m2"] + delta * (error - mean)}

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(max_weight={self.max_weight}, decay={self.decay}, sensitivity={self.sensitivity})"
        )
