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

Per iteration: craft adversarial images of the batch in the [0, 255] pixel domain (PGD-k, FGSM with
random start or N-FGSM, :mod:`nlcen_monai.defense.crafting`) at the epoch's budget
(:func:`~nlcen_monai.defense.ramped_eps`), or with ``eps_sampling="uniform"`` at a budget drawn
uniformly in [0, the epoch's budget] for each batch, then take one optimiser step on the
adversarial-training objective (:class:`~nlcen_monai.defense.AdversarialObjective`:
clean/adversarial mix or TRADES).

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
  both restored by MONAI's ``CheckpointLoader``; the crafting method (which the single-step
  :class:`~nlcen_monai.defense.CatastrophicOverfittingGuard` may switch to PGD) is saved in the
  trainer's state dict (``engine.state.adv_training``) and, on resume, the saved one replaces the
  config's (so a fallback holds); a clean-training checkpoint, which has none, resumes as
  adversarial training with the config's method;
- determinism: random starts and per-batch budgets come from generators seeded from ``seed``, the
  iteration and the rank (each with its own stream), so a resumed run draws what the uninterrupted
  run would have drawn.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any

import torch
from monai.engines import SupervisedTrainer
from monai.engines.utils import default_prepare_batch
from torch.optim.optimizer import Optimizer

from nlcen_monai.attacks.utils import generator
from nlcen_monai.defense.crafting import CRAFT_METHODS, DEFAULT_NOISE_RATIO, craft_adversarial, iteration_seed
from nlcen_monai.defense.objective import AdversarialObjective
from nlcen_monai.defense.ramp import ramped_eps

from .adversarial_batch import ADV_EPS, CLEAN_IMAGE, AdversarialPrepareBatch

if TYPE_CHECKING:
    from nlcen_monai.defense.overfitting_guard import CatastrophicOverfittingGuard

__all__ = ["AdversarialSupervisedTrainer", "EPS_SAMPLING", "unwrap_network", "ADV_EPS", "CLEAN_IMAGE"]

#: how each batch's budget is chosen: the epoch's ramped eps, or uniform in [0, that eps]
EPS_SAMPLING = ("fixed", "uniform")
# a key that separates the per-batch eps draws from the random starts of the same iteration
_EPS_STREAM = 2_000_003


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
        eps: the final training budget in grey levels.
        eps_ramp_epochs: epochs over which the budget rises linearly to ``eps`` (0: from the start).
        method: ``"pgd"`` (PGD-k), ``"fgsm_rs"`` (FGSM with random start, Wong et al. 2020) or
            ``"n_fgsm"`` (N-FGSM, de Jorge et al. 2022: strong noise, no projection on the eps-ball).
        steps: PGD iterations (``"fgsm_rs"`` and ``"n_fgsm"`` take one).
        step_ratio: the attack step as a fraction of the batch's eps; default 2.5 / steps for PGD,
            1.25 for FGSM-RS, 1 for N-FGSM.
        noise_ratio: for ``"n_fgsm"``, the noise ``U(-k eps, k eps)`` of the start, ``k = noise_ratio``
            (default 2, de Jorge et al.'s).
        eps_sampling: ``"fixed"`` (every batch at the epoch's ramped eps) or ``"uniform"`` (each
            batch at a budget drawn uniformly in [0, the epoch's ramped eps], seeded from ``seed``,
            the iteration and the rank).
        objective: ``"mix"`` or ``"trades"`` (see :class:`~nlcen_monai.defense.AdversarialObjective`);
            with ``"trades"`` the images are crafted to maximise the TRADES KL.
        clean_weight: for ``"mix"``, the weight of the clean loss (0: adversarial images only).
        trades_beta: for ``"trades"``, the weight of the KL term.
        seed: seed of the random starts and eps draws (None: the global generator, not reproducible).
        craft_amp: craft under autocast when ``amp`` is on (default False: crafting in float32).
        overfit_guard: an optional :class:`~nlcen_monai.defense.CatastrophicOverfittingGuard`,
            attached to this trainer after ``train_handlers`` (for the single-step methods).
        kwargs: the other arguments of ``monai.engines.SupervisedTrainer`` (``amp``, ``inferer``,
            ``train_handlers``, ``key_train_metric``, ``optim_set_to_none``, ``accumulation_steps``,
            ``prepare_batch`` for the clean batch, ...), except ``iteration_update``.

    ``engine.state.output`` holds, besides MONAI's keys (``image`` = the adversarial images the
    network was trained on, ``pred`` = its prediction on them, ``label``, ``loss``),
    ``"clean_image"`` and ``"adv_eps"`` (the budget of the batch); see
    :mod:`~nlcen_monai.engines.adversarial_batch` for when each is set during the iteration. The
    inferer is used for the training forward only; crafting calls the network directly (as training
    on patches does).
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
        noise_ratio: float = DEFAULT_NOISE_RATIO,
        eps_sampling: str = "fixed",
        objective: str = "mix",
        clean_weight: float = 0.0,
        trades_beta: float = 6.0,
        seed: int | None = 0,
        craft_amp: bool = False,
        overfit_guard: CatastrophicOverfittingGuard | None = None,
        **kwargs: Any,
    ) -> None:
        if kwargs.get("iteration_update") is not None:
            raise ValueError("AdversarialSupervisedTrainer crafts in prepare_batch; iteration_update is not supported.")
        if eps < 0 or eps_ramp_epochs < 0:
            raise ValueError(f"eps and eps_ramp_epochs must be >= 0, got {eps} and {eps_ramp_epochs}.")
        if noise_ratio < 0:
            raise ValueError(f"noise_ratio must be >= 0, got {noise_ratio}.")
        if eps_sampling not in EPS_SAMPLING:
            raise ValueError(f"eps_sampling must be one of {EPS_SAMPLING}, got {eps_sampling!r}.")
        self.adversarial_objective = AdversarialObjective(loss_function, objective, clean_weight, trades_beta)
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
        self.noise_ratio = float(noise_ratio)
        self.eps_sampling = eps_sampling
        self.seed = seed
        self.craft_amp = bool(craft_amp)
        # the crafting settings live in the state so that a fallback survives --resume
        self.state.adv_training = {}
        self.set_crafting(method, steps, step_ratio)
        self.state_dict_user_keys.append("adv_training")
        crafting.attach(self)
        if train_handlers is not None:
            self._register_handlers(train_handlers)
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
            method: ``"pgd"``, ``"fgsm_rs"`` or ``"n_fgsm"``.
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

    def batch_eps(self) -> float:
        """The budget of the batch in progress: :meth:`current_eps`, or with ``eps_sampling="uniform"`` a
        draw uniform in [0, :meth:`current_eps`] seeded from ``seed``, ``state.iteration`` and the rank."""
        eps = self.current_eps()
        if self.eps_sampling == "fixed" or eps == 0:
            return eps
        gen = generator(iteration_seed(self.seed, self.state.iteration, self.state.rank, _EPS_STREAM))
        return float(torch.rand((), dtype=torch.float64, generator=gen)) * eps

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
                noise_ratio=self.noise_ratio,
            )
