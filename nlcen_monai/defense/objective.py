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
"""What adversarial training minimises: a clean/adversarial mix (Madry et al. 2018) or TRADES.

- ``"mix"``: ``(1 - w) * L(f(x_adv), y) + w * L(f(x), y)`` with the bundle's own loss ``L`` (so
  NLCEN keeps its deep supervision on all five outputs); ``w = 0`` is Madry et al.'s adversarial
  training, ``w = 0.5`` Goodfellow et al.'s (2015) half-and-half mix.
- ``"trades"`` (Zhang et al. 2019): ``L(f(x), y) + beta * KL(f(x) || f(x_adv))`` per pixel, the KL
  between the softmax of the clean and of the adversarial prediction, as the authors' reference
  code computes it (``KLDivLoss(log_softmax(f(x_adv)), softmax(f(x)))``, gradient through both),
  summed over classes and averaged over pixels and images. For networks with several outputs in
  training mode (NLCEN, NWCN) the KL is taken on the final output (the one that is attacked and
  evaluated in eval mode), the clean term keeps the deep supervision.

Each objective also says what the attack maximises when the batch's adversarial images are crafted
(:meth:`AdversarialObjective.crafting_loss`, handed to the trainer's attack as its ``loss``): the
summed cross entropy against the true labels for ``"mix"``, TRADES' ``KL(f(x) || f(x_adv))`` against
the network's own clean prediction for ``"trades"`` (Zhang et al. 2019; their reference code starts
from ``x + 0.001 N(0, 1)``, the attacks here from a uniform random point, which the KL's zero
gradient at ``x_adv = x`` needs just as well).

When the clean prediction is needed the trainer runs one forward pass on the clean and the
adversarial images concatenated along the batch (one pass keeps a DDP-wrapped network to one
forward per backward): :meth:`AdversarialObjective.training_inputs` builds that batch,
:meth:`AdversarialObjective.split_prediction` (:func:`split_batch`) takes the prediction apart again
and :meth:`AdversarialObjective.training_loss`, the objective on that one prediction, is the
trainer's ``loss_function``.

Either objective may add ELLE's local-linearity regulariser (Abad Rocamora et al. 2024,
:mod:`~nlcen_monai.defense.local_linearity`), ``local_linearity_weight * mean_images(E)``: the three
points of its random segment (:class:`~nlcen_monai.defense.LinearityPoints`) are appended to the
same training batch, ``cat([clean, adversarial, a, b, c])`` (each part when it is needed), and
:meth:`AdversarialObjective.training_loss` takes the error from their predictions (final output,
per-image mean cross entropy); the last batch's mean error is in ``last_local_linearity``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from nlcen_monai.attacks.utils import LossFactory, attack_mode, cross_entropy_sum
from nlcen_monai.defense.local_linearity import LinearityPoints, linearity_error, per_image_cross_entropy

__all__ = ["OBJECTIVES", "AdversarialObjective", "final_output", "split_batch", "trades_kl"]

OBJECTIVES = ("mix", "trades")

Prediction = Union[torch.Tensor, Sequence[torch.Tensor]]


def final_output(pred: Prediction, label: torch.Tensor) -> torch.Tensor:
    """The final prediction among a network's training outputs.

    Args:
        pred: logits ``(B, C, *spatial)``; deep-supervision outputs stacked as ``(B, S, C, *spatial)``
            with the final output first (NLCEN, NWCN: see ``nlcen_monai.losses``); or a list or tuple
            of logits, final first (MONAI's ``DeepSupervisionLoss`` convention).
        label: the labels ``(B, 1, *spatial)``, to tell stacked outputs from plain logits.
    """
    if isinstance(pred, (list, tuple)):
        return pred[0]
    if pred.dim() == label.dim() + 1:
        return pred[:, 0]
    return pred


def split_batch(pred: Prediction, n: int) -> tuple[Prediction, Prediction]:
    """``(pred[:n], pred[n:])`` along the batch, for a tensor or each tensor of a list or tuple.

    Args:
        pred: the prediction on a batch made of two concatenated parts.
        n: the size of the first part.
    """
    if isinstance(pred, (list, tuple)):
        first, second = zip(*(split_batch(p, n) for p in pred))
        return type(pred)(first), type(pred)(second)
    return pred[:n], pred[n:]


def trades_kl(logits: torch.Tensor, reference_logits: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """``KL(softmax(reference_logits) || softmax(logits))`` per pixel, summed over classes.

    Computed in float32 (safe under AMP).

    Args:
        logits: the prediction on adversarial images, ``(B, C, *spatial)``.
        reference_logits: the prediction on clean images, same shape.
        reduction: ``"mean"`` over pixels and images, or ``"sum"`` (the per-image-independent
            gradient that crafting uses, like ``nlcen_monai.attacks.utils.cross_entropy_sum``).

    Returns:
        the scalar KL.

    Raises:
        ValueError: when the shapes differ or ``reduction`` is unknown.
    """
    if logits.shape != reference_logits.shape:
        raise ValueError(f"logits {tuple(logits.shape)} and reference {tuple(reference_logits.shape)} differ in shape.")
    kl = F.kl_div(
        F.log_softmax(logits.float(), dim=1),
        F.log_softmax(reference_logits.float(), dim=1),
        reduction="none",
        log_target=True,
    ).sum(dim=1)
    if reduction == "mean":
        return kl.mean()
    if reduction == "sum":
        return kl.sum()
    raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}.")


class AdversarialObjective:
    """The adversarial-training loss on clean and adversarial predictions (see the module docstring).

    Args:
        loss_function: the bundle's training loss ``loss_function(pred, label)`` (e.g. ``NLCENLoss``).
        objective: ``"mix"`` or ``"trades"``.
        clean_weight: for ``"mix"``, the weight ``w`` of the clean loss in [0, 1] (0: adversarial only).
        trades_beta: for ``"trades"``, the weight ``beta`` of the KL term (>= 0; Zhang et al. use 6).
        local_linearity_weight: the weight ``lambda`` (>= 0) of ELLE's local-linearity error (0: off
            unless ``local_linearity``). An attribute: ELLE-A's trainer changes it between batches.
        local_linearity: whether the training batch carries ELLE's points and the error is computed;
            None (default): when ``local_linearity_weight > 0``. ELLE-A sets it with a weight that
            starts at 0, so that the error is measured from the first batch.

    Raises:
        ValueError: for an unknown objective, or a weight out of range.
    """

    def __init__(
        self,
        loss_function: Callable[[Prediction, torch.Tensor], torch.Tensor],
        objective: str = "mix",
        clean_weight: float = 0.0,
        trades_beta: float = 6.0,
        local_linearity_weight: float = 0.0,
        local_linearity: bool | None = None,
    ) -> None:
        if objective not in OBJECTIVES:
            raise ValueError(f"objective must be one of {OBJECTIVES}, got {objective!r}.")
        if not 0.0 <= clean_weight <= 1.0:
            raise ValueError(f"clean_weight must be in [0, 1], got {clean_weight}.")
        if trades_beta < 0:
            raise ValueError(f"trades_beta must be >= 0, got {trades_beta}.")
        if local_linearity_weight < 0:
            raise ValueError(f"local_linearity_weight must be >= 0, got {local_linearity_weight}.")
        self.loss_function = loss_function
        self.objective = objective
        self.clean_weight = float(clean_weight)
        self.trades_beta = float(trades_beta)
        self.local_linearity_weight = float(local_linearity_weight)
        self.local_linearity = local_linearity_weight > 0 if local_linearity is None else bool(local_linearity)
        #: the mean local-linearity error of the last :meth:`training_loss` (detached; None before any)
        self.last_local_linearity: torch.Tensor | None = None
        self._alpha: torch.Tensor | None = None

    @property
    def needs_clean(self) -> bool:
        """Whether the objective uses the prediction on the clean images."""
        return self.objective == "trades" or self.clean_weight > 0

    @property
    def needs_adversarial(self) -> bool:
        """Whether the objective uses the prediction on the adversarial images (False only for ``w = 1``)."""
        return self.objective == "trades" or self.clean_weight < 1

    def __call__(self, pred_clean: Prediction | None, pred_adv: Prediction | None, label: torch.Tensor) -> torch.Tensor:
        """The scalar loss.

        Args:
            pred_clean: the training-mode prediction on the clean images (None when not ``needs_clean``).
            pred_adv: the training-mode prediction on the adversarial images (None when not
                ``needs_adversarial``).
            label: the true labels ``(B, 1, *spatial)``.
        """
        if self.objective == "trades":
            kl = trades_kl(final_output(pred_adv, label), final_output(pred_clean, label))
            return self.loss_function(pred_clean, label).mean() + self.trades_beta * kl
        loss = 0.0
        if self.needs_adversarial:
            loss = (1.0 - self.clean_weight) * self.loss_function(pred_adv, label).mean()
        if self.needs_clean:
            loss = loss + self.clean_weight * self.loss_function(pred_clean, label).mean()
        return loss

    def crafting_loss(self, model: nn.Module, images: torch.Tensor) -> LossFactory:
        """What the attack maximises on this batch, as the ``loss`` of an attack object
        (:meth:`nlcen_monai.attacks.SegmentationAttack.__call__`).

        ``"mix"``: the cross entropy against the true labels, summed over pixels and images.
        ``"trades"``: TRADES' ``KL(f(x) || f(x_adv))`` summed, against the prediction on the clean
        ``images``, computed once (eval mode, no gradient) when the attack first asks for its loss, so
        an attack that returns early (``eps = 0``) costs no pass.

        Args:
            model: the network the attack differentiates (the one that crafts, without DDP).
            images: the clean images of the batch.

        Returns:
            a loss factory ``(y, steps) -> loss_fn(logits, step)``.
        """
        if self.objective != "trades":
            return lambda y, n: cross_entropy_sum(y)

        def kl_to_clean(y: torch.Tensor, n: int) -> Callable[[torch.Tensor, int], torch.Tensor]:
            with attack_mode(model), torch.no_grad():
                reference = model(images)
            return lambda logits, step: trades_kl(logits, reference, "sum")

        return kl_to_clean

    def training_inputs(
        self, clean: torch.Tensor, adversarial: torch.Tensor, points: LinearityPoints | None = None
    ) -> torch.Tensor:
        """The batch of the training forward: ``cat([clean, adversarial])`` when both predictions are
        needed, else the one that is; with ELLE (``local_linearity``) followed by the points ``a, b, c``.

        Args:
            clean: the clean images.
            adversarial: the adversarial images of the same batch.
            points: ELLE's points of the batch (required with ``local_linearity``, ignored without);
                their ``alpha`` is kept for the next :meth:`training_loss`.

        Raises:
            ValueError: when ``local_linearity`` is on and ``points`` is None.
        """
        if self.needs_clean and self.needs_adversarial:
            parts = [clean, adversarial]
        else:
            parts = [clean if self.needs_clean else adversarial]
        if self.local_linearity:
            if points is None:
                raise ValueError("local_linearity is on: training_inputs needs the batch's LinearityPoints.")
            self._alpha = points.alpha
            parts += [points.a, points.b, points.c]
        return parts[0] if len(parts) == 1 else torch.cat(parts)

    def _main_size(self, n: int) -> int:
        """The number of images of the training batch that are clean or adversarial (the rest are ELLE's)."""
        return n * (int(self.needs_clean) + int(self.needs_adversarial))

    def split_prediction(self, pred: Prediction, n: int) -> tuple[Prediction | None, Prediction | None]:
        """``(pred_clean, pred_adv)`` from the prediction on :meth:`training_inputs` (None for the one not
        needed; ELLE's points left out).

        Args:
            pred: the training-mode prediction on :meth:`training_inputs`.
            n: the number of clean images (the batch size).
        """
        if self.local_linearity:
            pred = split_batch(pred, self._main_size(n))[0]
        if self.needs_clean and self.needs_adversarial:
            return split_batch(pred, n)
        return (pred, None) if self.needs_clean else (None, pred)

    def local_linearity_error(self, pred: Prediction, label: torch.Tensor) -> torch.Tensor:
        """ELLE's per-image error from the prediction on :meth:`training_inputs` (``local_linearity`` on),
        with the ``alpha`` of the last :meth:`training_inputs`.

        Args:
            pred: the training-mode prediction on :meth:`training_inputs`.
            label: the true labels ``(B, 1, *spatial)`` of the clean batch.

        Returns:
            the ``(B,)`` errors, differentiable in the network's parameters.

        Raises:
            RuntimeError: when no points were given to :meth:`training_inputs`.
        """
        if self._alpha is None:
            raise RuntimeError("no LinearityPoints: call training_inputs with the batch's points first.")
        n = label.shape[0]
        points = final_output(split_batch(pred, self._main_size(n))[1], label)
        loss_a, loss_b, loss_c = (per_image_cross_entropy(p, label) for p in points.split(n))
        return linearity_error(loss_a, loss_b, loss_c, self._alpha.to(loss_c.device))

    def training_loss(self, pred: Prediction, label: torch.Tensor) -> torch.Tensor:
        """The scalar loss from the one prediction on :meth:`training_inputs`: the trainer's ``loss_function``.

        With ``local_linearity`` it adds ``local_linearity_weight`` times the mean of
        :meth:`local_linearity_error` and keeps that mean in ``last_local_linearity``.

        Args:
            pred: the training-mode prediction on :meth:`training_inputs`.
            label: the true labels ``(B, 1, *spatial)`` of the clean batch.
        """
        loss = self(*self.split_prediction(pred, label.shape[0]), label)
        if not self.local_linearity:
            return loss
        error = self.local_linearity_error(pred, label).mean()
        self.last_local_linearity = error.detach()
        return loss + self.local_linearity_weight * error

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(objective={self.objective!r}, clean_weight={self.clean_weight}, "
            f"trades_beta={self.trades_beta}, local_linearity_weight={self.local_linearity_weight}, "
            f"local_linearity={self.local_linearity})"
        )
