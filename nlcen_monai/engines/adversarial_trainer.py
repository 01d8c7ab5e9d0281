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

Per iteration: craft adversarial images of the batch in the [0, 255] pixel domain with the project's
PGD (PGD-k or FGSM with random start, :mod:`nlcen_monai.defense.crafting`) at the epoch's budget
(:func:`~nlcen_monai.defense.ramped_eps`), then take one optimiser step on the adversarial-training
objective (:class:`~nlcen_monai.defense.AdversarialObjective`: clean/adversarial mix or TRADES).

How it keeps MONAI's and Ignite's contracts:

- events: ``IterationEvents.FORWARD_COMPLETED``, ``LOSS_COMPLETED``, ``BACKWARD_COMPLETED`` and
  ``MODEL_COMPLETED`` fire as in ``SupervisedTrainer``, as do ``optim_set_to_none``,
  ``accumulation_steps`` and AMP (autocast + the ``GradScaler`` that ``Trainer.run`` creates);
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
  both restored by MONAI's ``CheckpointLoader``; the crafting method (which the FGSM-RS
  :class:`~nlcen_monai.defense.CatastrophicOverfittingGuard` may switch to PGD) is saved in the
  trainer's state dict (``engine.state.adv_training``) and, on resume, the saved one replaces the
  config's (so a fallback holds); a clean-training checkpoint, which has none, resumes as
  adversarial training with the config's method;
- determinism: random starts come from a generator seeded from ``seed``, the iteration and the rank.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any

import torch
from monai.engines import SupervisedTrainer
from monai.engines.utils import IterationEvents
from monai.utils import CommonKeys as Keys
from monai.utils import convert_to_tensor
from torch.optim.optimizer import Optimizer

from nlcen_monai.defense.crafting import CRAFT_METHODS, craft_adversarial, iteration_seed
from nlcen_monai.defense.objective import AdversarialObjective, split_batch
from nlcen_monai.defense.ramp import ramped_eps

if TYPE_CHECKING:
    from nlcen_monai.defense.overfitting_guard import CatastrophicOverfittingGuard

__all__ = ["AdversarialSupervisedTrainer", "unwrap_network"]

#: extra keys of ``engine.state.output``: the clean images and the budget used for the batch
CLEAN_IMAGE = "clean_image"
ADV_EPS = "adv_eps"


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
        loss_function: the bundle's loss ``loss_function(pred, label)``.
        eps: the final training budget in grey levels.
        eps_ramp_epochs: epochs over which the budget rises linearly to ``eps`` (0: from the start).
        method: ``"pgd"`` (PGD-k) or ``"fgsm_rs"`` (FGSM with random start, Wong et al. 2020).
        steps: PGD iterations (``"fgsm_rs"`` takes one).
        step_ratio: the attack step as a fraction of the epoch's eps; default 2.5 / steps for PGD,
            1.25 for FGSM-RS.
        objective: ``"mix"`` or ``"trades"`` (see :class:`~nlcen_monai.defense.AdversarialObjective`);
            with ``"trades"`` the images are crafted to maximise the TRADES KL.
        clean_weight: for ``"mix"``, the weight of the clean loss (0: adversarial images only).
        trades_beta: for ``"trades"``, the weight of the KL term.
        seed: seed of the random starts (None: the global generator, not reproducible).
        craft_amp: craft under autocast when ``amp`` is on (default False: crafting in float32).
        overfit_guard: an optional :class:`~nlcen_monai.defense.CatastrophicOverfittingGuard`,
            attached to this trainer (for ``"fgsm_rs"``).
        kwargs: the other arguments of ``monai.engines.SupervisedTrainer`` (``amp``, ``inferer``,
            ``train_handlers``, ``key_train_metric``, ``optim_set_to_none``, ``accumulation_steps``, ...),
            except ``iteration_update``.

    ``engine.state.output`` holds, besides MONAI's keys (``image`` = the adversarial images the
    network was trained on, ``pred`` = its prediction on them, ``label``, ``loss``),
    ``"clean_image"`` and ``"adv_eps"`` (the budget of the batch). The inferer is used for the
    training forward only; crafting calls the network directly (as training on patches does).
    """

    def __init__(
        self,
        device: str | torch.device,
        max_epochs: int,
        train_data_loader: Iterable,
        network: torch.nn.Module,
        optimizer: Optimizer,
        loss_function: Callable,
        eps: float = 8.0,
        eps_ramp_epochs: int = 0,
        method: str = "pgd",
        steps: int = 5,
        step_ratio: float | None = None,
        objective: str = "mix",
        clean_weight: float = 0.0,
        trades_beta: float = 6.0,
        seed: int | None = 0,
        craft_amp: bool = False,
        overfit_guard: CatastrophicOverfittingGuard | None = None,
        **kwargs: Any,
    ) -> None:
        if kwargs.get("iteration_update") is not None:
            raise ValueError("AdversarialSupervisedTrainer runs its own iteration; iteration_update is not supported.")
        if eps < 0 or eps_ramp_epochs < 0:
            raise ValueError(f"eps and eps_ramp_epochs must be >= 0, got {eps} and {eps_ramp_epochs}.")
        super().__init__(
            device=device,
            max_epochs=max_epochs,
            train_data_loader=train_data_loader,
            network=network,
            optimizer=optimizer,
            loss_function=loss_function,
            **kwargs,
        )
        self.eps = float(eps)
        self.eps_ramp_epochs = int(eps_ramp_epochs)
        self.adversarial_objective = AdversarialObjective(loss_function, objective, clean_weight, trades_beta)
        self.seed = seed
        self.craft_amp = bool(craft_amp)
        # the crafting settings live in the state so that a fallback survives --resume
        self.state.adv_training = {}
        self.set_crafting(method, steps, step_ratio)
        self.state_dict_user_keys.append("adv_training")
        self.overfit_guard = overfit_guard
        if overfit_guard is not None:
            overfit_guard.attach(self)

    def load_state_dict(self, state_dict: Mapping) -> None:
        """Ignite's ``load_state_dict``, keeping the current value of any of this trainer's state keys
        (``adv_training``, ``adv_guard``) that ``state_dict`` lacks: a checkpoint of clean training
        (``train.json`` alone) resumes as adversarial training (adversarial fine-tuning).
        """
        missing = {k: getattr(self.state, k) for k in self.state_dict_user_keys if k not in state_dict}
        super().load_state_dict({**state_dict, **missing})

    def set_crafting(self, method: str, steps: int, step_ratio: float | None = None) -> None:
        """Switch the crafting method from the next iteration on (kept in ``state.adv_training``).

        Args:
            method: ``"pgd"`` or ``"fgsm_rs"``.
            steps: PGD iterations.
            step_ratio: step as a fraction of eps, None for the method's default.
        """
        if method not in CRAFT_METHODS:
            raise ValueError(f"method must be one of {CRAFT_METHODS}, got {method!r}.")
        if int(steps) < 1:
            raise ValueError(f"steps must be >= 1, got {steps}.")
        if step_ratio is not None and step_ratio <= 0:
            raise ValueError(f"step_ratio must be > 0, got {step_ratio}.")
        self.state.adv_training.update(
            {"method": method, "steps": int(steps), "step_ratio": None if step_ratio is None else float(step_ratio)}
        )

    @property
    def crafting_network(self) -> torch.nn.Module:
        """The network that crafting differentiates: ``self.network`` without its DDP/DataParallel wrapper."""
        return unwrap_network(self.network)

    def current_eps(self, epoch: int | None = None) -> float:
        """The training budget of ``epoch`` (default: the epoch in progress, ``state.epoch``)."""
        return ramped_eps(self.eps, self.state.epoch if epoch is None else epoch, self.eps_ramp_epochs)

    def craft(self, images: torch.Tensor, label: torch.Tensor, eps: float) -> torch.Tensor:
        """Adversarial images of the current batch at budget ``eps`` (seeded by seed, iteration and rank)."""
        settings = self.state.adv_training
        amp = self.craft_amp and self.amp
        with torch.autocast("cuda", **self.amp_kwargs) if amp else nullcontext():
            return craft_adversarial(
                self.crafting_network,
                images,
                label,
                eps,
                method=settings["method"],
                steps=settings["steps"],
                step_ratio=settings["step_ratio"],
                loss="trades_kl" if self.adversarial_objective.objective == "trades" else "ce",
                seed=iteration_seed(self.seed, self.state.iteration, self.state.rank),
            )

    def _iteration(self, engine: AdversarialSupervisedTrainer, batchdata: dict[str, torch.Tensor]) -> dict:
        """One adversarial-training iteration: craft, forward, objective, backward, step.

        Args:
            engine: this trainer.
            batchdata: the batch from the data loader.

        Raises:
            ValueError: when ``batchdata`` is None.
        """
        if batchdata is None:
            raise ValueError("Must provide batch data for current iteration.")
        batch = engine.prepare_batch(batchdata, engine.state.device, engine.non_blocking, **engine.to_kwargs)
        if len(batch) == 2:
            inputs, targets = batch
            args: tuple = ()
            kwargs: dict = {}
        else:
            inputs, targets, args, kwargs = batch
        inputs = convert_to_tensor(inputs, track_meta=False)
        targets = convert_to_tensor(targets, track_meta=False)

        eps = engine.current_eps()
        objective = engine.adversarial_objective
        adversarial = engine.craft(inputs, targets, eps) if objective.needs_adversarial else inputs
        if objective.needs_clean and objective.needs_adversarial:
            train_inputs = torch.cat([inputs, adversarial])
        else:
            train_inputs = inputs if objective.needs_clean else adversarial
        engine.state.output = {Keys.IMAGE: adversarial, Keys.LABEL: targets, CLEAN_IMAGE: inputs, ADV_EPS: eps}

        def _compute_pred_loss():
            pred = engine.inferer(train_inputs, engine.network, *args, **kwargs)
            if objective.needs_clean and objective.needs_adversarial:
                pred_clean, pred_adv = split_batch(pred, inputs.shape[0])
            else:
                pred_clean, pred_adv = (pred, None) if objective.needs_clean else (None, pred)
            engine.state.output[Keys.PRED] = pred_clean if pred_adv is None else pred_adv
            engine.fire_event(IterationEvents.FORWARD_COMPLETED)
            engine.state.output[Keys.LOSS] = objective(pred_clean, pred_adv, targets)
            engine.fire_event(IterationEvents.LOSS_COMPLETED)

        # gradient accumulation as in SupervisedTrainer._iteration
        acc = engine.accumulation_steps
        should_zero_grad, should_step = True, True
        if acc > 1:
            epoch_length = engine.state.epoch_length
            local_iter = engine.state.iteration - 1
            if epoch_length is not None:
                local_iter %= epoch_length
            should_zero_grad = local_iter % acc == 0
            should_step = (local_iter + 1) % acc == 0 or (epoch_length is not None and local_iter + 1 == epoch_length)

        engine.network.train()
        if should_zero_grad:
            engine.optimizer.zero_grad(set_to_none=engine.optim_set_to_none)

        if engine.amp and engine.scaler is not None:
            with torch.autocast("cuda", **engine.amp_kwargs):
                _compute_pred_loss()
            loss = engine.state.output[Keys.LOSS]
            engine.scaler.scale(loss / acc if acc > 1 else loss).backward()
            engine.fire_event(IterationEvents.BACKWARD_COMPLETED)
            if should_step:
                engine.scaler.step(engine.optimizer)
                engine.scaler.update()
        else:
            _compute_pred_loss()
            loss = engine.state.output[Keys.LOSS]
            (loss / acc if acc > 1 else loss).backward()
            engine.fire_event(IterationEvents.BACKWARD_COMPLETED)
            if should_step:
                engine.optimizer.step()
        engine.fire_event(IterationEvents.MODEL_COMPLETED)
        return engine.state.output
