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
"""The ``prepare_batch`` of adversarial training: it crafts the batch's adversarial images.

:class:`AdversarialPrepareBatch` lets :class:`~nlcen_monai.engines.AdversarialSupervisedTrainer` run
MONAI's own ``SupervisedTrainer._iteration`` (AMP, gradient accumulation, events): MONAI calls it
for the batch, it prepares the clean batch with the wrapped ``prepare_batch``, crafts the
adversarial images (the trainer's ``craft``: its attack object, network in eval mode, outside
autocast unless ``craft_amp``) and returns the training inputs of the objective
(:meth:`~nlcen_monai.defense.AdversarialObjective.training_inputs`, with ELLE's random points
when the objective has ``local_linearity`` on) with the labels; MONAI's
iteration then runs the training forward on them and the objective as the loss.

It knows the trainer only through :class:`AdversarialTraining` (what it calls), so this module does
not import the trainer's. Attached to the trainer (before any other handler), it also keeps
``engine.state.output`` in the trainer's terms:

- from ``FORWARD_COMPLETED`` on: ``"image"`` is the adversarial images (the images trained on),
  ``"clean_image"`` the clean ones and ``"adv_eps"`` the batch's budget;
- until ``LOSS_COMPLETED`` ``"pred"`` is MONAI's, the prediction on the training inputs (clean and
  adversarial concatenated for the mix and TRADES: what the loss takes); from
  ``BACKWARD_COMPLETED`` on, and in the decollated output, it is the prediction on the adversarial
  images (the clean one when the objective uses no adversarial images).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import torch
from ignite.engine import Engine
from monai.engines.utils import IterationEvents, PrepareBatch, default_prepare_batch
from monai.utils import CommonKeys as Keys
from monai.utils import convert_to_tensor

from nlcen_monai.defense.local_linearity import LinearityPoints
from nlcen_monai.defense.objective import AdversarialObjective

__all__ = ["AdversarialPrepareBatch", "AdversarialTraining", "CLEAN_IMAGE", "ADV_EPS"]

#: extra keys of ``engine.state.output``: the clean images and the budget used for the batch
CLEAN_IMAGE = "clean_image"
ADV_EPS = "adv_eps"


class AdversarialTraining(Protocol):
    """What :class:`AdversarialPrepareBatch` needs of its trainer (an Ignite engine), e.g.
    :class:`~nlcen_monai.engines.AdversarialSupervisedTrainer`."""

    adversarial_objective: AdversarialObjective

    def batch_eps(self) -> float:
        """The budget of the batch in progress."""

    def craft(self, images: torch.Tensor, label: torch.Tensor, eps: float) -> torch.Tensor:
        """Adversarial images of the batch at budget ``eps``."""

    def linearity_points(self, images: torch.Tensor, eps: float) -> LinearityPoints:
        """ELLE's random points of the batch at budget ``eps`` (called only with ``local_linearity`` on)."""

    def add_event_handler(self, event_name: Any, handler: Callable, *args: Any, **kwargs: Any) -> Any:
        """Ignite's ``Engine.add_event_handler``."""


class AdversarialPrepareBatch(PrepareBatch):
    """Prepare a batch for adversarial training: clean batch, adversarial images, training inputs.

    Args:
        prepare_batch: prepares the clean batch (``default_prepare_batch``: "image" and "label" of a
            dict); it may return ``(inputs, targets)`` or ``(inputs, targets, args, kwargs)``.
    """

    def __init__(self, prepare_batch: Callable = default_prepare_batch) -> None:
        self.prepare_batch = prepare_batch
        self.trainer: AdversarialTraining | None = None
        self._batch: dict[str, Any] = {}

    def attach(self, trainer: AdversarialTraining) -> None:
        """Bind to ``trainer`` and register the handlers that set its output keys (call it before other handlers).

        Args:
            trainer: the adversarial trainer whose ``prepare_batch`` this is.
        """
        self.trainer = trainer
        trainer.add_event_handler(IterationEvents.FORWARD_COMPLETED, self.forward_completed)
        trainer.add_event_handler(IterationEvents.BACKWARD_COMPLETED, self.backward_completed)

    def clean_batch(
        self, batchdata: Any, device: str | torch.device | None = None, non_blocking: bool = False, **kwargs: Any
    ) -> tuple[torch.Tensor, torch.Tensor, tuple, dict]:
        """``(images, labels, args, kwargs)`` of ``batchdata`` by the wrapped ``prepare_batch``, as plain tensors.

        Args:
            batchdata: the batch from the data loader.
            device: the device to move it to.
            non_blocking: non-blocking copies.
            kwargs: other arguments of ``Tensor.to()``.

        Returns:
            the clean images and labels (plain tensors) and the network's extra arguments.
        """
        batch = self.prepare_batch(batchdata, device, non_blocking, **kwargs)
        inputs, targets, args, extra = batch if len(batch) == 4 else (*batch, (), {})
        return convert_to_tensor(inputs, track_meta=False), convert_to_tensor(targets, track_meta=False), args, extra

    def __call__(
        self, batchdata: Any, device: str | torch.device | None = None, non_blocking: bool = False, **kwargs: Any
    ) -> tuple[torch.Tensor, torch.Tensor, tuple, dict]:
        """``(training inputs, labels, args, kwargs)``: the batch MONAI's iteration trains on (arguments as
        in :meth:`clean_batch`).

        Raises:
            RuntimeError: when the preparer is not attached to a trainer.
        """
        trainer = self.trainer
        if trainer is None:
            raise RuntimeError("AdversarialPrepareBatch must be attached to an AdversarialSupervisedTrainer first.")
        inputs, targets, args, extra = self.clean_batch(batchdata, device, non_blocking, **kwargs)
        objective = trainer.adversarial_objective
        eps = trainer.batch_eps()
        adversarial = trainer.craft(inputs, targets, eps) if objective.needs_adversarial else inputs
        points = trainer.linearity_points(inputs, eps) if objective.local_linearity else None
        self._batch = {Keys.IMAGE: adversarial, CLEAN_IMAGE: inputs, ADV_EPS: eps}
        return objective.training_inputs(inputs, adversarial, points), targets, args, extra

    def forward_completed(self, engine: Engine) -> None:
        """The adversarial images, the clean images and the batch's eps into ``engine.state.output``."""
        engine.state.output.update(self._batch)

    def backward_completed(self, engine: Engine) -> None:
        """``engine.state.output["pred"]``: the prediction on the adversarial images (the loss is computed)."""
        output = engine.state.output
        pred_clean, pred_adv = engine.adversarial_objective.split_prediction(output[Keys.PRED], output[CLEAN_IMAGE].shape[0])
        output[Keys.PRED] = pred_clean if pred_adv is None else pred_adv
