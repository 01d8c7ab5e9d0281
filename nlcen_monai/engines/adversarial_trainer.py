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
"""A MONAI ``SupervisedTrainer`` that trains on adversarial images crafted per batch (adversarial training, the defense).

Per iteration: craft adversarial images of the batch in the [0, 255] pixel domain with an attack
object of :mod:`nlcen_monai.attacks` (PGD-k, ``PGD(steps=k, step_ratio=2.5 / k)``; FGSM with random
start, ``FGSMRS()``; N-FGSM, ``NFGSM()``), maximising the loss its objective gives
(:meth:`~nlcen_monai.defense.AdversarialObjective.crafting_loss`), at the epoch's budget
(:func:`~nlcen_monai.defense.ramped_eps`), or with ``eps_sampling="uniform"`` at a budget drawn
uniformly in [0, the epoch's budget] for each batch, then take one optimiser step on the
adversarial-training objective (:class:`~nlcen_monai.defense.AdversarialObjective`:
clean/adversarial mix or TRADES), optionally with ELLE's local-linearity regulariser
(``local_linearity_weight``; ELLE-A with ``local_linearity_adaptive``, see
:mod:`~nlcen_monai.defense.local_linearity`), whose random points are drawn per batch at the batch's
budget and go into the same training forward.

The iteration is MONAI's own ``SupervisedTrainer._iteration``: crafting is the trainer's
``prepare_batch`` (:class:`~nlcen_monai.engines.adversarial_batch.AdversarialPrepareBatch`, which
wraps the ``prepare_batch`` argument) and the objective is its ``loss_function``
(:meth:`~nlcen_monai.defense.AdversarialObjective.training_loss`). How it keeps MONAI's and
Ignite's contracts:

- events: ``IterationEvents.FORWARD_COMPLETED``, ``LOSS_COMPLETED``, ``BACKWARD_COMPLETED`` and
  ``MODEL_COMPLETED`` fire as in ``SupervisedTrainer``, as do ``optim_set_to_none``,
  ``accumulation_steps`` and AMP (autocast + the ``GradScaler`` that ``Trainer.run`` creates),
  all MONAI's code;
- BatchNorm: crafting runs the network in eval mode (running statistics, nothing updated) through
  ``nlcen_monai.attacks.attack_mode``, which restores every module's mode and every parameter's
  ``requires_grad``; the training forward is in train mode;
- AMP: crafting runs in float32 outside autocast by default (``craft_amp=False``), the training
  forward under autocast;
- DDP: crafting calls the wrapped module (``network.module``), never DDP's forward, so crafting's
  input-gradient passes neither prepare nor trigger a gradient all-reduce; the training forward
  goes through DDP once per backward (clean and adversarial images concatenated when both are
  needed);
- resume: the ramp reads ``engine.state.epoch`` and the random starts ``engine.state.iteration``,
  both restored by MONAI's ``CheckpointLoader``; a handler that changes the attack (the
  :class:`~nlcen_monai.defense.CatastrophicOverfittingGuard`'s fallback, through :meth:`set_attack`)
  keeps its own state in the trainer's state dict and sets it again on resume; so does ELLE-A
  (``state.local_linearity``: its weight and running statistics); a clean-training
  checkpoint, which lacks those state keys, resumes as adversarial training with the config's attack;
- determinism: each batch's attack is reseeded (:meth:`~nlcen_monai.attacks.SegmentationAttack.reseeded`)
  and the per-batch budgets and ELLE's points drawn from seeds derived from ``seed``, the iteration
  and the rank (:func:`~nlcen_monai.attacks.utils.iteration_seed`, each with its own stream), so a
  resumed run draws what the uninterrupted run would have drawn.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from contextlib import nullcontext
from typing import Any

import ignite.distributed as idist
import torch
from ignite.engine import Engine, Events
from monai.engines import SupervisedTrainer
from monai.engines.utils import IterationEvents, default_prepare_batch
from torch.optim.optimizer import Optimizer

from nlcen_monai.attacks import SegmentationAttack
from nlcen_monai.attacks.utils import generator, iteration_seed
from nlcen_monai.defense.local_linearity import (
    ELLE_A_DECAY,
    ELLE_A_SENSITIVITY,
    AdaptiveLinearityWeight,
    LinearityPoints,
    draw_linearity_points,
)
from nlcen_monai.defense.objective import AdversarialObjective
from nlcen_monai.defense.ramp import ramped_eps

from .adversarial_batch import ADV_EPS, CLEAN_IMAGE, AdversarialPrepareBatch

__all__ = [
    "AdversarialSupervisedTrainer",
    "EPS_SAMPLING",
    "unwrap_network",
    "ADV_EPS",
    "CLEAN_IMAGE",
    "LOCAL_LINEARITY",
    "LOCAL_LINEARITY_WEIGHT",
]

#: how each batch's budget is chosen: the epoch's ramped eps, or uniform in [0, that eps]
EPS_SAMPLING = ("fixed", "uniform")
# a key that separates the per-batch eps draws from the random starts of the same iteration
_EPS_STREAM = 2_000_003
# a key that separates ELLE's random points from the random starts and eps draws of the same iteration
_LINEARITY_STREAM = 3_000_017
#: keys of ``engine.state.output`` with ELLE on: the batch's mean local-linearity error and the weight
#: its loss used; ``LOCAL_LINEARITY`` is also ELLE-A's state key in ``engine.state``
LOCAL_LINEARITY = "local_linearity"
LOCAL_LINEARITY_WEIGHT = "local_linearity_weight"


def unwrap_network(network: torch.nn.Module) -> torch.nn.Module:
    """The module inside ``DistributedDataParallel`` / ``DataParallel`` wrappers (the network itself otherwise)."""
    wrappers = (torch.nn.parallel.DistributedDataParallel, torch.nn.DataParallel)
    while isinstance(network, wrappers):
        network = network.module
    return network


class AdversarialSupervisedTrainer(SupervisedTrainer):
    """Adversarial training of any segmentation network, as a drop-in ``SupervisedTrainer``.

    Named so as not to be confused with ``monai.engines.AdversarialTrainer`` (a GAN trainer).

    Args:
        device: the device to train on.
        max_epochs: the number of epochs.
        train_data_loader: batches of dicts with "image" in [0, 255] and "label" (B, 1, *spatial).
        network: maps [0, 255] images to logits; in training mode it may return deep-supervision
            outputs (stacked ``(B, S, C, *spatial)``, final first) that ``loss_function`` takes, in eval
            mode it must return the final logits (as every network of ``nlcen_monai.networks``).
            May be wrapped in ``DistributedDataParallel``.
        optimizer: the optimiser.
        loss_function: the bundle's loss ``loss_function(pred, label)``; the objective applies it (it is
            ``adversarial_objective.loss_function``; the trainer's ``loss_function`` attribute, which
            MONAI's iteration calls, is the objective's ``training_loss``).
        attack: the attack object that crafts each batch: one that ``accepts_loss`` (the objective's
            loss replaces its own), e.g. ``nlcen_monai.attacks.PGD(steps=5, step_ratio=0.5)`` (PGD-5 of
            Madry et al.), ``FGSMRS()`` (FGSM with random start, Wong et al. 2020) or ``NFGSM()``
            (N-FGSM, de Jorge et al. 2022: strong noise, no projection on the eps-ball). Its step
            should follow the batch's budget (``step_ratio``); its seed is replaced for each batch.
        eps: the final training budget in grey levels.
        eps_ramp_epochs: epochs over which the budget rises linearly to ``eps`` (0: from the start).
        eps_sampling: ``"fixed"`` (every batch at the epoch's ramped eps) or ``"uniform"`` (each
            batch at a budget drawn uniformly in [0, the epoch's ramped eps], seeded from ``seed``,
            the iteration and the rank).
        objective: ``"mix"`` or ``"trades"`` (see :class:`~nlcen_monai.defense.AdversarialObjective`);
            the objective says what the attack maximises (``"trades"``: the TRADES KL).
        clean_weight: for ``"mix"``, the weight of the clean loss (0: adversarial images only).
        trades_beta: for ``"trades"``, the weight of the KL term.
        seed: seed of the random starts, eps draws and ELLE's points (None: the global generator, not
            reproducible).
        craft_amp: craft under autocast when ``amp`` is on (default False: crafting in float32).
        local_linearity_weight: ELLE's weight ``lambda`` (>= 0; default 0: off, the training step is the
            one without ELLE); with ``local_linearity_adaptive`` it is ELLE-A's ``lambda_max``
            (the authors use 4000). Each batch then gets three more images per image in its
            training forward (ELLE's random points in the eps-ball of the batch's budget).
        local_linearity_adaptive: ELLE-A (:class:`~nlcen_monai.defense.AdaptiveLinearityWeight`): the
            weight starts at 0, jumps to ``local_linearity_weight`` when a batch's error exceeds
            the running mean plus ``local_linearity_sensitivity`` standard deviations, and is
            multiplied by ``local_linearity_decay`` after every other batch. Needs a positive weight.
        local_linearity_decay: ELLE-A's decay per batch (authors: 0.99).
        local_linearity_sensitivity: ELLE-A's ``k`` of the ``mean + k std`` threshold (authors: 2).
        kwargs: the other arguments of ``monai.engines.SupervisedTrainer`` (``amp``, ``inferer``,
            ``train_handlers``, ``key_train_metric``, ``optim_set_to_none``, ``accumulation_steps``,
            ``prepare_batch`` for the clean batch, ...), except ``iteration_update``.

    ``engine.state.output`` holds, besides MONAI's keys (``image`` = the adversarial images the
    network was trained on, ``pred`` = its prediction on them, ``label``, ``loss``),
    ``"clean_image"`` and ``"adv_eps"`` (the budget of the batch); with ELLE also
    ``"local_linearity"`` (the batch's mean local-linearity error, averaged over the ranks) and
    ``"local_linearity_weight"`` (the weight the batch's loss used), from ``BACKWARD_COMPLETED`` on;
    see :mod:`~nlcen_monai.engines.adversarial_batch` for when the others are set during the iteration. The
    inferer is used for the training forward only; crafting calls the network directly (as training
    on patches does). Handlers such as :class:`~nlcen_monai.defense.CatastrophicOverfittingGuard` go in
    ``train_handlers`` and may change the attack with :meth:`set_attack`.

    Raises:
        ValueError: for ``iteration_update``, a negative budget or ramp, an unknown ``eps_sampling``,
            an attack that does not ``accepts_loss``, a negative ELLE weight, or ELLE-A without a
            positive weight or with a bad decay or sensitivity.
    """

    def __init__(
        self,
        device: str | torch.device,
        max_epochs: int,
        train_data_loader: Iterable,
        network: torch.nn.Module,
        optimizer: Optimizer,
        loss_function: Callable,
        attack: SegmentationAttack,
        eps: float = 8.0,
        eps_ramp_epochs: int = 0,
        eps_sampling: str = "fixed",
        objective: str = "mix",
        clean_weight: float = 0.0,
        trades_beta: float = 6.0,
        seed: int | None = 0,
        craft_amp: bool = False,
        local_linearity_weight: float = 0.0,
        local_linearity_adaptive: bool = False,
        local_linearity_decay: float = ELLE_A_DECAY,
        local_linearity_sensitivity: float = ELLE_A_SENSITIVITY,
        **kwargs: Any,
    ) -> None:
        if kwargs.get("iteration_update") is not None:
            raise ValueError("AdversarialSupervisedTrainer crafts in prepare_batch; iteration_update is not supported.")
        if eps < 0 or eps_ramp_epochs < 0:
            raise ValueError(f"eps and eps_ramp_epochs must be >= 0, got {eps} and {eps_ramp_epochs}.")
        if eps_sampling not in EPS_SAMPLING:
            raise ValueError(f"eps_sampling must be one of {EPS_SAMPLING}, got {eps_sampling!r}.")
        self.local_linearity_schedule: AdaptiveLinearityWeight | None = None
        if local_linearity_adaptive:
            self.local_linearity_schedule = AdaptiveLinearityWeight(
                local_linearity_weight, local_linearity_decay, local_linearity_sensitivity
            )
        self.adversarial_objective = AdversarialObjective(
            loss_function,
            objective,
            clean_weight,
            trades_beta,
            local_linearity_weight=0.0 if local_linearity_adaptive else local_linearity_weight,
            local_linearity=bool(local_linearity_adaptive) or local_linearity_weight > 0,
        )
        crafting = AdversarialPrepareBatch(kwargs.pop("prepare_batch", default_prepare_batch))
        # the handlers are attached below, after the crafting's own output handlers
        train_handlers = kwargs.pop("train_handlers", None)
        super().__init__(
            device=device,
            max_epochs=max_epochs,
            train_data_loader=train_data_loader,
            network=network,
            optimizer=optimizer,
            loss_function=self.adversarial_objective.training_loss,
            prepare_batch=crafting,
            **kwargs,
        )
        self.eps = float(eps)
        self.eps_ramp_epochs = int(eps_ramp_epochs)
        self.eps_sampling = eps_sampling
        self.seed = seed
        self.craft_amp = bool(craft_amp)
        self.set_attack(attack)
        crafting.attach(self)
        if self.adversarial_objective.local_linearity:
            self._attach_local_linearity()
        if train_handlers is not None:
            self._register_handlers(train_handlers)

    def _attach_local_linearity(self) -> None:
        """ELLE's handlers (before any other handler): ELLE-A's state in the state dict, its weight into the
        objective before each batch, and after the backward the output keys and ELLE-A's update."""
        if self.local_linearity_schedule is not None:
            self.state.local_linearity = self.local_linearity_schedule.initial_state()
            if LOCAL_LINEARITY not in self.state_dict_user_keys:
                self.state_dict_user_keys.append(LOCAL_LINEARITY)
            self.add_event_handler(Events.ITERATION_STARTED, self._set_local_linearity_weight)
        self.add_event_handler(IterationEvents.BACKWARD_COMPLETED, self._local_linearity_completed)

    def _set_local_linearity_weight(self, engine: Engine) -> None:
        """ELLE-A: the objective's weight for this batch, from ``state.local_linearity`` (restored on resume)."""
        self.adversarial_objective.local_linearity_weight = float(engine.state.local_linearity["weight"])

    def _local_linearity_completed(self, engine: Engine) -> None:
        """The batch's error (averaged over the ranks) and weight into ``state.output``; ELLE-A's update."""
        objective = self.adversarial_objective
        error = objective.last_local_linearity.detach().float().reshape(1)
        if idist.get_world_size() > 1:
            error = idist.all_reduce(error.clone()) / idist.get_world_size()
        value = float(error)
        engine.state.output[LOCAL_LINEARITY] = value
        engine.state.output[LOCAL_LINEARITY_WEIGHT] = objective.local_linearity_weight
        if self.local_linearity_schedule is not None:
            engine.state.local_linearity = self.local_linearity_schedule.update(engine.state.local_linearity, value)

    def linearity_points(self, images: torch.Tensor, eps: float) -> LinearityPoints:
        """ELLE's points of the batch in progress at budget ``eps``, drawn from a seed derived from
        ``seed``, ``state.iteration`` and the rank (a stream of their own).

        Args:
            images: the clean images of the batch.
            eps: the batch's budget in grey levels (the one it is crafted at).

        Returns:
            the batch's :class:`~nlcen_monai.defense.LinearityPoints`.
        """
        seed = iteration_seed(self.seed, self.state.iteration, self.state.rank, _LINEARITY_STREAM)
        return draw_linearity_points(images, eps, seed)

    def load_state_dict(self, state_dict: Mapping) -> None:
        """Ignite's ``load_state_dict``, keeping the current value of any of this trainer's state keys
        (e.g. the guard's ``adv_guard``) that ``state_dict`` lacks: a checkpoint of clean training
        (``train.json`` alone) resumes as adversarial training (adversarial fine-tuning).

        Args:
            state_dict: the trainer's saved state.
        """
        missing = {k: getattr(self.state, k) for k in self.state_dict_user_keys if k not in state_dict}
        super().load_state_dict({**state_dict, **missing})

    def set_attack(self, attack: SegmentationAttack) -> None:
        """Craft with ``attack`` from the next batch on (the guard's fallback calls it).

        Args:
            attack: an attack object that ``accepts_loss``.

        Raises:
            ValueError: when ``attack`` does not take the objective's loss.
        """
        if not isinstance(attack, SegmentationAttack) or not attack.accepts_loss:
            raise ValueError(
                f"the training attack must take the objective's loss (accepts_loss: PGD, FGSMRS, NFGSM), got {attack!r}."
            )
        self.attack = attack

    def clean_batch(self, batchdata: Any) -> tuple[torch.Tensor, torch.Tensor]:
        """``(images, labels)`` of a data-loader batch, prepared as this trainer prepares its clean batch
        (on its device), without crafting.

        Args:
            batchdata: a collated batch of dicts with "image" and "label".

        Returns:
            the clean images and labels as plain tensors.
        """
        images, labels, _, _ = self.prepare_batch.clean_batch(batchdata, self.state.device, self.non_blocking)
        return images, labels

    @property
    def crafting_network(self) -> torch.nn.Module:
        """The network that crafting differentiates: ``self.network`` without its DDP/DataParallel wrapper."""
        return unwrap_network(self.network)

    def current_eps(self, epoch: int | None = None) -> float:
        """The training budget of ``epoch`` (default: the epoch in progress, ``state.epoch``)."""
        return ramped_eps(self.eps, self.state.epoch if epoch is None else epoch, self.eps_ramp_epochs)

    def batch_eps(self) -> float:
        """The budget of the batch in progress: :meth:`current_eps`, or with ``eps_sampling="uniform"`` a
        draw uniform in [0, :meth:`current_eps`] seeded from ``seed``, ``state.iteration`` and the rank."""
        eps = self.current_eps()
        if self.eps_sampling == "fixed" or eps == 0:
            return eps
        gen = generator(iteration_seed(self.seed, self.state.iteration, self.state.rank, _EPS_STREAM))
        return float(torch.rand((), dtype=torch.float64, generator=gen)) * eps

    def craft(self, images: torch.Tensor, label: torch.Tensor, eps: float) -> torch.Tensor:
        """Adversarial images of the current batch at budget ``eps``: the attack, reseeded from seed,
        iteration and rank, maximising the objective's crafting loss.

        Args:
            images: the clean images of the batch.
            label: their labels.
            eps: the batch's budget in grey levels.

        Returns:
            the detached adversarial images.
        """
        model = self.crafting_network
        attack = self.attack.reseeded(iteration_seed(self.seed, self.state.iteration, self.state.rank))
        loss = self.adversarial_objective.crafting_loss(model, images)
        amp = self.craft_amp and self.amp
        with torch.autocast("cuda", **self.amp_kwargs) if amp else nullcontext():
            return attack(model, images, label, eps, loss=loss)
