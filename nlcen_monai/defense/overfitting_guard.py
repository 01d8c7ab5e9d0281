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
"""A guard against catastrophic overfitting of FGSM adversarial training (Wong et al. 2020, section 5).

Single-step (FGSM) adversarial training can suddenly "overfit catastrophically": within an epoch the
network learns a loss surface so curved near the data that one linear step no longer finds an
adversarial image, while multi-step PGD still does; robustness under PGD collapses to about
nothing while robustness under FGSM looks perfect. Wong et al. detect it by evaluating PGD on a
mini-batch every epoch and stop training, keeping the weights of the epoch before.

The rule here, checked at the end of every epoch in which the trainer crafts with a single-step
attack (:class:`~nlcen_monai.attacks.FGSMRS` or :class:`~nlcen_monai.attacks.NFGSM`), on a fixed batch
of ``num_images`` images and at the epoch's training budget:

    catastrophic overfitting  <=>  fgsm_dice - pgd_dice > max_gap
                                   and pgd_dice < best_pgd_dice - max_drop

where ``fgsm_dice`` is the mean Dice under FGSM-RS (the training's own attack when it trains with
FGSM-RS; under N-FGSM, whose perturbations leave the eps-ball, ``FGSMRS()`` with its default 1.25 eps
step, the single-step probe inside the ball), ``pgd_dice`` under PGD-``pgd_steps`` (step
``2.5 eps / pgd_steps``), and ``best_pgd_dice`` the best ``pgd_dice`` of the earlier checks (the first
check, having no reference, applies the gap alone). The gap is the signature of the phenomenon (FGSM
stays high, PGD falls); the drop condition keeps a network that was never robust from being flagged.
On detection the network and optimiser go back to their state at the last passing check (or at the
start of this process's training), and then:

- ``action="fallback"`` (default): the trainer crafts with the ``fallback`` attack (default PGD-5,
  step ``2.5 eps / 5``) for the rest of the training (robust at the cost of PGD training), set with
  the trainer's :meth:`~nlcen_monai.engines.AdversarialSupervisedTrainer.set_attack`;
- ``action="stop"``: training stops (Wong et al.'s early stopping).

The guard is an ordinary Ignite handler: list it among the trainer's handlers (``train#handlers`` in a
bundle; ``configs/defense/adversarial_training.json`` appends its ``overfit_guard``). It snapshots and
checks only while the trainer crafts with a single-step attack, so it costs nothing under PGD. Its
verdicts and history are in ``engine.state.adv_guard`` and saved with the trainer's state dict, so
that ``--resume true`` continues with the fallback (the guard sets it again when the resumed run's
first epoch starts); the in-memory snapshot is not saved (a resumed run snapshots its first epoch's
starting weights). Under ``torchrun`` every rank evaluates the same batch and the two Dice values are
averaged over ranks (``ignite.distributed``'s ``all_reduce``, so any Ignite backend), so all ranks
decide alike.
"""

from __future__ import annotations

import copy
import logging
from typing import TYPE_CHECKING, Any

import ignite.distributed as idist
import torch
from monai.data import list_data_collate
from monai.utils import convert_to_tensor
from torch.utils.data import DataLoader

from nlcen_monai.attacks import FGSMRS, NFGSM, PGD, SegmentationAttack, attack_mode
from nlcen_monai.attacks.pgd import MADRY_STEP_FACTOR
from nlcen_monai.attacks.utils import as_index_target, iteration_seed, per_image_dice

if TYPE_CHECKING:
    from ignite.engine import Engine

__all__ = ["CatastrophicOverfittingGuard", "GUARD_ACTIONS"]

GUARD_ACTIONS = ("fallback", "stop")
# a key that separates the guard's random starts from the training iterations'
_GUARD_STREAM = 1_000_003


class CatastrophicOverfittingGuard:
    """Ignite handler that detects catastrophic overfitting of single-step training and restores/falls back.

    Attach it to an :class:`~nlcen_monai.engines.AdversarialSupervisedTrainer` like any handler (in its
    ``train_handlers``). It uses the trainer's ``attack``, ``set_attack``, ``clean_batch``,
    ``crafting_network``, ``current_eps``, ``seed`` and ``optimizer``. See the module docstring for the rule.

    Args:
        data: where the check batch comes from: a dataset (indexable), a ``DataLoader`` (its
            ``.dataset`` is used) or a sequence of dicts with "image" and "label"; its first
            ``num_images`` items are read once and kept. Use held-out data where the bundle has some;
            Wong et al. use a training batch, on which the collapse shows just as well.
        num_images: the size of the check batch.
        pgd_steps: iterations of the reference PGD (step ``2.5 eps / pgd_steps``, random start).
        max_gap: the largest ``fgsm_dice - pgd_dice`` of a healthy network.
        max_drop: the largest fall of ``pgd_dice`` below its best earlier value of a healthy network.
        action: ``"fallback"`` or ``"stop"``.
        fallback: the attack the trainer crafts with after a fallback; default PGD-5 with step
            ``2.5 eps / 5`` (``PGD(steps=5, step_ratio=0.5)``).

    Raises:
        ValueError: for an unknown ``action``, a count below 1 or a negative threshold.
    """

    def __init__(
        self,
        data: Any,
        num_images: int = 8,
        pgd_steps: int = 10,
        max_gap: float = 0.3,
        max_drop: float = 0.2,
        action: str = "fallback",
        fallback: SegmentationAttack | None = None,
    ) -> None:
        if action not in GUARD_ACTIONS:
            raise ValueError(f"action must be one of {GUARD_ACTIONS}, got {action!r}.")
        if num_images < 1 or pgd_steps < 1:
            raise ValueError("num_images and pgd_steps must be >= 1.")
        if max_gap < 0 or max_drop < 0:
            raise ValueError(f"max_gap and max_drop must be >= 0, got {max_gap} and {max_drop}.")
        self.data = data
        self.num_images = int(num_images)
        self.pgd_steps = int(pgd_steps)
        self.max_gap = float(max_gap)
        self.max_drop = float(max_drop)
        self.action = action
        self.fallback = PGD(steps=5, step_ratio=MADRY_STEP_FACTOR / 5) if fallback is None else fallback
        self.logger = logging.getLogger(__name__)
        self._batch: tuple[torch.Tensor, torch.Tensor] | None = None
        self._snapshot: dict | None = None

    @staticmethod
    def watches(attack: SegmentationAttack) -> bool:
        """Whether the guard checks training with ``attack``: the single-step attacks, FGSM-RS and N-FGSM."""
        return isinstance(attack, (FGSMRS, NFGSM))

    def attach(self, engine: Engine) -> None:
        """Register the guard's state (saved with the trainer) and its epoch handlers."""
        from ignite.engine import Events

        engine.state.adv_guard = {"best_pgd_dice": None, "triggered_epoch": None, "history": []}
        if "adv_guard" not in engine.state_dict_user_keys:
            engine.state_dict_user_keys.append("adv_guard")
        engine.add_event_handler(Events.EPOCH_STARTED, self.epoch_started)
        engine.add_event_handler(Events.EPOCH_COMPLETED, self)

    # ------------------------------------------------------------------ the check batch and the snapshot
    def _items(self) -> list:
        source = self.data.dataset if isinstance(self.data, DataLoader) else self.data
        n = min(self.num_images, len(source))
        if n == 0:
            raise ValueError("the guard's data is empty.")
        return [source[i] for i in range(n)]

    def batch(self, engine: Engine) -> tuple[torch.Tensor, torch.Tensor]:
        """The check batch (images, labels) on the trainer's device, read once."""
        if self._batch is None:
            # the trainer's clean preparation (its prepare_batch would craft adversarial images)
            self._batch = engine.clean_batch(list_data_collate(self._items()))
        return self._batch

    def _take_snapshot(self, engine: Engine) -> None:
        model = engine.crafting_network.state_dict()
        self._snapshot = {
            "model": {k: v.detach().clone() for k, v in model.items()},
            "optimizer": copy.deepcopy(engine.optimizer.state_dict()),
            "epoch": engine.state.epoch,
        }

    def _restore(self, engine: Engine) -> None:
        if self._snapshot is None:
            self.logger.warning("catastrophic-overfitting guard: no snapshot to restore; keeping the current weights.")
            return
        engine.crafting_network.load_state_dict(self._snapshot["model"])
        engine.optimizer.load_state_dict(self._snapshot["optimizer"])

    # ------------------------------------------------------------------ the check
    def measure(self, engine: Engine) -> tuple[float, float]:
        """``(fgsm_dice, pgd_dice)``: mean Dice of the check batch under FGSM-RS and PGD at the epoch's eps.

        The FGSM-RS is the training's own attack under FGSM-RS training, ``FGSMRS()`` otherwise; both
        use seeded random starts and the cross entropy, and are averaged over the ranks
        (``ignite.distributed``).

        Args:
            engine: the adversarial trainer.

        Returns:
            the two mean Dice values.
        """
        images, labels = self.batch(engine)
        model = engine.crafting_network
        eps = engine.current_eps()
        seed = iteration_seed(engine.seed, engine.state.epoch, _GUARD_STREAM)
        probe = engine.attack if isinstance(engine.attack, FGSMRS) else FGSMRS()
        reference = PGD(steps=self.pgd_steps, step_ratio=MADRY_STEP_FACTOR / self.pgd_steps)
        fgsm = probe.reseeded(seed)(model, images, labels, eps)
        strong = reference.reseeded(seed)(model, images, labels, eps)
        target = as_index_target(labels, images)
        with attack_mode(model), torch.no_grad():
            dice = torch.stack([per_image_dice(convert_to_tensor(model(x), track_meta=False), target).mean() for x in (fgsm, strong)])
        if idist.get_world_size() > 1:
            dice = idist.all_reduce(dice) / idist.get_world_size()
        return float(dice[0]), float(dice[1])

    def is_overfitting(self, fgsm_dice: float, pgd_dice: float, best_pgd_dice: float | None) -> bool:
        """The rule: FGSM Dice above PGD Dice by more than ``max_gap`` and PGD Dice fallen by more than ``max_drop``.

        Args:
            fgsm_dice: mean Dice under FGSM-RS.
            pgd_dice: mean Dice under PGD.
            best_pgd_dice: the best PGD Dice of earlier checks (None: no reference, the gap alone decides).
        """
        collapsed = best_pgd_dice is None or pgd_dice < best_pgd_dice - self.max_drop
        return fgsm_dice - pgd_dice > self.max_gap and collapsed

    def epoch_started(self, engine: Engine) -> None:
        """Snapshot the starting weights once per process (under a single-step attack); after a detection
        (a resumed run's too) end the run (``"stop"``) or craft with the fallback attack (``"fallback"``)."""
        if engine.state.adv_guard["triggered_epoch"] is not None:
            if self.action == "stop":
                engine.terminate()
                return
            engine.set_attack(self.fallback)
        if self._snapshot is None and self.watches(engine.attack):
            self._take_snapshot(engine)

    def __call__(self, engine: Engine) -> None:
        """The end-of-epoch check (only while the trainer crafts with a single-step attack)."""
        state = engine.state.adv_guard
        if not self.watches(engine.attack) or state["triggered_epoch"] is not None:
            return
        fgsm_dice, pgd_dice = self.measure(engine)
        overfitting = self.is_overfitting(fgsm_dice, pgd_dice, state["best_pgd_dice"])
        state["history"].append(
            {"epoch": engine.state.epoch, "eps": engine.current_eps(), "fgsm_dice": fgsm_dice, "pgd_dice": pgd_dice}
        )
        self.logger.info(
            f"epoch {engine.state.epoch}: guard Dice under FGSM-RS {fgsm_dice:.4f}, under PGD-{self.pgd_steps} {pgd_dice:.4f}"
        )
        if not overfitting:
            best = state["best_pgd_dice"]
            state["best_pgd_dice"] = pgd_dice if best is None else max(best, pgd_dice)
            self._take_snapshot(engine)
            return
        state["triggered_epoch"] = engine.state.epoch
        restored = None if self._snapshot is None else self._snapshot["epoch"]
        self._restore(engine)
        if self.action == "fallback":
            engine.set_attack(self.fallback)
            self.logger.warning(
                f"epoch {engine.state.epoch}: catastrophic overfitting (Dice FGSM-RS {fgsm_dice:.3f}, PGD {pgd_dice:.3f});"
                f" weights of epoch {restored} restored, training goes on with {self.fallback!r}."
            )
        else:
            self.logger.warning(
                f"epoch {engine.state.epoch}: catastrophic overfitting (Dice FGSM-RS {fgsm_dice:.3f}, PGD {pgd_dice:.3f});"
                f" weights of epoch {restored} restored, training stops."
            )
            engine.terminate()
