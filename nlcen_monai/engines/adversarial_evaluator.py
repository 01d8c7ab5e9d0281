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
"""An Ignite/MONAI evaluator that attacks every batch at every intensity and records each image's scores.

``AdversarialEvaluator`` is a MONAI ``SupervisedEvaluator``: it takes the same data loader,
``prepare_batch``, inferer, handlers and bundle-config arguments, and runs under ``torchrun``
(sharding the test set with a ``DistributedSampler`` is the data loader's job). Per batch it crafts
adversarial images at every intensity, through the inferer (so a ``SlidingWindowInferer`` is
attacked as it is evaluated), with either one attack (the paper's I-FGSM uses its exact
shared-prefix sweep) or a worst-case ensemble (:class:`~nlcen_monai.attacks.WorstCaseAttack`: per
image, the lowest Dice over its members), and scores every prediction per image with
:func:`nlcen_monai.metrics.per_image_scores`. Both run through one path: a single attack is a
one-member ensemble (:meth:`WorstCaseAttack.single`, ``evaluator.plan``) that gives the attack's own
figure, as AutoAttack runs a single attack.

The results flow one way. Each batch's per-image rows go into ``engine.state.robustness``, a
:class:`~nlcen_monai.robustness.RobustnessResult` (the results store), with the passes and seconds
spent (``engine.state.robustness_run`` holds this run's own rows, per rank; under ``torchrun`` they
are gathered at the end of the epoch). The means per attack and intensity are derived from it and,
at ``EPOCH_COMPLETED``, published in ``engine.state.metrics`` under
:class:`~nlcen_monai.robustness.MetricKey` names (``dice_eps8``, ``jaccard_apgd_ce_eps8``;
``key_metric`` is one of them). Handlers read the store and the adversarial examples the run kept
(``engine.state.examples``); none attacks again, and this module imports no handler.

Resume: an image whose rows are all in ``engine.state.robustness`` when its batch comes is not
attacked again (:class:`~nlcen_monai.handlers.RobustnessTableWriter` loads the store at ``STARTED``
and saves it after every batch, so a killed evaluation loses at most one batch); a new intensity
or check is computed for every image that lacks it. A row already recorded is never replaced,
unless the attack or a check now has other settings than the store was made with: those rows are
dropped, with a warning, and recomputed (:func:`~nlcen_monai.robustness.stale_rows` says which).
The store also records which weights its rows belong to (``settings["model"]``,
:func:`~nlcen_monai.robustness.model_fingerprint`, taken when the epoch starts, after the weights are
loaded); a run whose network has other weights refuses to resume from it, before any attack, rather
than report the other model's rows as its own (a store without the key, older, is accepted and gets it).

With ``checks`` (:class:`~nlcen_monai.robustness.GradientMaskingChecks`) it also runs, on the same
batches, the attacks of the gradient-masking checks (unbounded, twice the iterations and restarts,
black-box; for a worst case chained over the intensities, also an unchained attack for check a) and
judges the four checks, per intensity, at the end of the epoch. The checks start from the recorded
worst-case images (:class:`~nlcen_monai.robustness.worst_images.WorstCaseImages`, kept in
``worst_images_dir``), so a resumed run that has only check rows left does not attack again and
checks exactly the images its figures came from.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import ignite.distributed as idist
import torch
from monai.engines import SupervisedEvaluator
from monai.engines.utils import IterationEvents, default_prepare_batch
from monai.inferers import Inferer
from monai.networks.utils import one_hot
from monai.utils import CommonKeys as Keys
from monai.utils import ForwardMode, convert_to_tensor, string_list_all_gather
from torch.utils.data import DataLoader

from nlcen_monai.attacks import SegmentationAttack, get_attack
from nlcen_monai.attacks.worst_case import WorstCaseAttack, WorstCaseResult, predict_classes
from nlcen_monai.data.suffixes import case_id
from nlcen_monai.metrics import per_image_scores
from nlcen_monai.robustness import (
    CHECK_BLACK_BOX,
    CHECK_MORE_ITERATIONS,
    CHECK_UNBOUNDED,
    AdversarialExamples,
    KINDS,
    GradientMaskingChecks,
    MODEL_KEY,
    MetricKey,
    RobustnessResult,
    check_same_model,
    eps_key,
    model_fingerprint,
    recorded_settings,
)
from nlcen_monai.robustness.checks import CHECK_MONOTONE
from nlcen_monai.robustness.roles import RowRole
from nlcen_monai.robustness.worst_images import WorstCaseImages

from .inferer_network import InfererNetwork

try:
    from ignite.engine import Events
except ImportError as e:  # pragma: no cover - ignite is a hard dependency of this package
    raise ImportError("AdversarialEvaluator needs pytorch-ignite.") from e

__all__ = ["AdversarialEvaluator", "PAPER_EPSILONS", "build_attack"]

# the paper's intensities (grey levels)
PAPER_EPSILONS = (0.5, 1, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32)


def build_attack(
    attack: str | SegmentationAttack | Sequence[SegmentationAttack], attack_kwargs: Mapping[str, Any] | None = None
) -> SegmentationAttack:
    """The evaluator's attack object: a registry name with ``attack_kwargs``, an attack object, or a list of them.

    A list becomes a :class:`~nlcen_monai.attacks.WorstCaseAttack` with default settings.
    """
    if isinstance(attack, (list, tuple)):
        if attack_kwargs:
            raise ValueError("attack_kwargs are only used with an attack name.")
        return WorstCaseAttack(list(attack))
    if isinstance(attack, SegmentationAttack) and attack_kwargs:
        raise ValueError("attack_kwargs are only used with an attack name, not with an attack object.")
    return get_attack(attack, **dict(attack_kwargs or {}))


def _case_ids(batchdata: Any, key: str, batch_size: int, iteration: int) -> list[str]:
    """Case ids of a batch: the file names (without folder and suffix) of ``batchdata[key]``'s metadata."""
    names = None
    item = batchdata.get(key) if isinstance(batchdata, Mapping) else None
    meta = getattr(item, "meta", None)
    if isinstance(meta, Mapping):
        names = meta.get("filename_or_obj")
    if isinstance(names, (list, tuple)) and len(names) == batch_size:
        return [case_id(name) for name in names]
    return [f"rank{idist.get_rank()}_iteration{iteration}_{i}" for i in range(batch_size)]


def _item_case_id(item: Any, key: str) -> str | None:
    """The case id of a data set item before loading: from ``item[key]``'s file name (a path, or a MetaTensor's
    ``filename_or_obj``), as :func:`_case_ids` reads it from a batch; None when the item names no file."""
    value = item.get(key) if isinstance(item, Mapping) else None
    meta = getattr(value, "meta", None)
    if isinstance(meta, Mapping):
        value = meta.get("filename_or_obj")
    return case_id(value) if isinstance(value, (str, os.PathLike)) and str(value) else None


class _Published:
    """A key metric the evaluator writes into ``engine.state.metrics`` itself; MONAI's key-metric logic compares it."""

    def attach(self, engine: Any, name: str) -> None:
        """Nothing to attach: the value is published at ``EPOCH_COMPLETED`` before MONAI compares it."""


class AdversarialEvaluator(SupervisedEvaluator):
    """Robustness evaluation: DIC and JSC of ``network`` on clean and adversarial images, per attack and intensity.

    Args:
        device: the device to run on.
        val_data_loader: the test data (dicts with "image" in [0, 255] and "label"); shard it with a
            ``DistributedSampler`` under ``torchrun``, or with :class:`~nlcen_monai.data.PendingFirstSampler`, which
            a resumed run tells which images its record still lacks, so that each rank gets its share of them.
        network: maps [0, 255] images to logits (B, num_classes, *spatial) in eval mode (2-D or 3-D).
        epsilons: the intensities in grey levels (default: the paper's 18).
        attack: an attack object (e.g. built in a config with ``_target_``), a registry name (with
            ``attack_kwargs``), or a list of attack objects (their worst case per image).
        attack_kwargs: constructor arguments when ``attack`` is a name.
        attack_name: the name written in the results (default: the attack's name).
        include_clean: also score the clean images (eps = 0).
        num_classes: number of output classes.
        max_batch: the most images per pass of a shared-prefix sweep (default: the batch size).
        inferer: a MONAI inferer (e.g. ``SlidingWindowInferer``); the attacks differentiate through it.
        checks: the gradient-masking checks to run and judge; None: no checks (every adversarial
            figure is then an upper bound).
        key_metric: the evaluator's key metric, a :class:`~nlcen_monai.robustness.MetricKey` or its
            name (e.g. ``MetricKey("dice", 8)`` or ``"dice_eps8"`` to select a checkpoint on robust
            Dice); None: no key metric.
        case_id_key: the batch key whose file names give the case ids of the per-image rows.
        keep_examples: how many of the first images attacked in this run to keep, with their
            adversarial images and predictions at every intensity, in ``engine.state.examples``
            (for the qualitative panel); 0 keeps none.
        worst_images_dir: where each image's worst-case adversarial image per intensity is kept
            (``<case_id>.npz``), for the checks of a resumed run to start from; None: in memory, for
            this run only and only with ``checks`` (a resumed run without them attacks again, and says so).
        epoch_length, non_blocking, prepare_batch, val_handlers, mode, event_names, event_to_attr,
            decollate, to_kwargs, amp_kwargs: as for MONAI's ``SupervisedEvaluator`` (``decollate``
            defaults to False: the predictions are scored batch-first).
        amp: accepted for config compatibility and ignored: attacks and predictions run in the
            network's dtype, so the scores belong to the network that was attacked.
    """

    def __init__(
        self,
        device: torch.device | str,
        val_data_loader: Iterable | DataLoader,
        network: torch.nn.Module,
        epsilons: Sequence[float] = PAPER_EPSILONS,
        attack: str | SegmentationAttack | Sequence[SegmentationAttack] = "targeted_ifgsm",
        attack_kwargs: Mapping[str, Any] | None = None,
        attack_name: str | None = None,
        include_clean: bool = True,
        num_classes: int = 2,
        max_batch: int | None = None,
        inferer: Inferer | None = None,
        checks: GradientMaskingChecks | None = None,
        key_metric: str | MetricKey | None = None,
        case_id_key: str = Keys.IMAGE,
        keep_examples: int = 2,
        worst_images_dir: str | os.PathLike | None = None,
        epoch_length: int | None = None,
        non_blocking: bool = False,
        prepare_batch: Callable = default_prepare_batch,
        val_handlers: Sequence | None = None,
        amp: bool = False,
        mode: ForwardMode | str = ForwardMode.EVAL,
        event_names: list | None = None,
        event_to_attr: dict | None = None,
        decollate: bool = False,
        to_kwargs: dict | None = None,
        amp_kwargs: dict | None = None,
    ) -> None:
        if any(float(e) < 0 for e in epsilons):
            raise ValueError(f"intensities must be >= 0, got {list(epsilons)}.")
        self.attack = build_attack(attack, attack_kwargs)
        self.attack_name = attack_name or self.attack.name
        # the one execution path: a single attack runs as a one-member ensemble with its own figure
        self.plan = WorstCaseAttack.single(self.attack)
        self.members = [a.name for a in self.plan.attacks] if self.plan is self.attack else []
        positive = sorted({eps_key(e) for e in epsilons if float(e) > 0})
        self.epsilons: list[float] = ([0.0] if include_clean else []) + positive
        self.num_classes = int(num_classes)
        self.max_batch = max_batch
        self.checks = checks
        self.case_id_key = case_id_key
        self.keep_examples = int(keep_examples)
        self.worst_images = WorstCaseImages(worst_images_dir)
        self._positive = positive
        self._chained = self.plan.chain_epsilons
        # check a cannot fail on a chained worst case (it never rises): an unchained attack is checked instead
        self._monotone = checks is not None and self._chained and len(positive) > 1
        self.settings = {"attack": self.attack.describe(), "checks": None if checks is None else checks.describe()}
        self._check_eps = checks.check_epsilons(positive) if checks is not None and positive else []
        self.scored = self._scored_keys(positive)
        if isinstance(key_metric, MetricKey):
            key_metric = key_metric.to_name()
        if key_metric is not None:
            self._check_key_metric(key_metric)
        super().__init__(
            device=device,
            val_data_loader=val_data_loader,
            network=network,
            epoch_length=epoch_length,
            non_blocking=non_blocking,
            prepare_batch=prepare_batch,
            inferer=inferer,
            amp=False,
            mode=mode,
            event_names=event_names,
            event_to_attr=event_to_attr,
            decollate=decollate,
            to_kwargs=to_kwargs,
            amp_kwargs=amp_kwargs,
        )
        self.attacked_network = InfererNetwork(self.network, self.inferer)
        self._told_ranks_differ = False
        self._base = self._new_result()
        self.state.robustness = self._new_result()
        self.state.robustness_run = self._new_result()
        self.state.examples = None
        self.add_event_handler(Events.STARTED, self._start)
        self.add_event_handler(Events.EPOCH_STARTED, self._begin)
        self.add_event_handler(Events.EPOCH_COMPLETED, self._finish)
        if key_metric is not None:  # MONAI's own comparison, on the value _finish publishes
            self._register_metrics({key_metric: _Published()})
        if val_handlers is not None:
            self._register_handlers(val_handlers)

    # ---- what is scored -------------------------------------------------------------------------------------

    def _scored_keys(self, positive: Sequence[float]) -> list[tuple[str, float]]:
        """Every (attack, eps) the evaluation can write rows for."""
        keys = [(self.attack_name, e) for e in self.epsilons] + [(m, e) for m in self.members for e in positive]
        if self.checks is not None and positive:
            keys.append((CHECK_UNBOUNDED, self.checks.unbounded_eps))
            keys += [(CHECK_MONOTONE, e) for e in positive if self._monotone]
            for e in self._check_eps:
                keys += [(CHECK_MORE_ITERATIONS, e), (CHECK_BLACK_BOX, e)] + [(a.name, e) for a in self.checks.black_box]
        return keys

    def _expected(self, case_id: str) -> list[tuple[str, float]]:
        """The (attack, eps) rows image ``case_id`` has once its batch is complete (members skip broken images: not
        these; the checks' rows only where the image is in the checks' sample)."""
        keys = [(self.attack_name, e) for e in self.epsilons]
        if self.checks is not None and any(e > 0 for e in self.epsilons) and self.checks.in_sample(case_id):
            keys.append((CHECK_UNBOUNDED, self.checks.unbounded_eps))
            keys += [(CHECK_MONOTONE, e) for e in self._positive if self._monotone]
            keys += [(CHECK_MORE_ITERATIONS, e) for e in self._check_eps]
            keys += [(CHECK_BLACK_BOX, e) for e in self._check_eps if self.checks.black_box]
        return keys

    def _check_key_metric(self, key_metric: str) -> None:
        names = sorted(
            MetricKey(kind, e, None if a == self.attack_name else a).to_name() for a, e in self.scored for kind in KINDS
        )
        if key_metric not in names:
            raise ValueError(f"key_metric '{key_metric}' is not one of the evaluator's metrics {names}.")

    def _new_result(self, settings: dict | None = None) -> RobustnessResult:
        return RobustnessResult(attack=self.attack_name, settings=self.settings if settings is None else settings)

    # ---- the run's result -----------------------------------------------------------------------------------

    def _start(self, engine: AdversarialEvaluator) -> None:
        """A fresh result and no examples (a results handler may then load the stored result)."""
        engine.state.robustness = engine._new_result()
        engine.state.examples = None

    def _fingerprint(self) -> str:
        """The fingerprint of the network's weights as they are now; under ``torchrun``, rank 0's on every rank.

        Every rank records and compares rank 0's, so that all of them refuse a store or none does. The ranks'
        fingerprints differ only where their weights do: during a ``DistributedDataParallel`` training, whose ranks
        share the parameters but each update its own normalisation statistics (buffers); that is logged, not refused.
        """
        fingerprint = model_fingerprint(self.network)
        if idist.get_world_size() > 1:
            fingerprints = string_list_all_gather([fingerprint])
            fingerprint = fingerprints[0]
            if len(set(fingerprints)) > 1 and not self._told_ranks_differ:
                self._told_ranks_differ = True
                self.logger.warning(
                    f"the ranks evaluate different weights (model fingerprints {', '.join(fingerprints)}; e.g. the "
                    f"batch-normalisation statistics of a distributed training); rank 0's is recorded."
                )
        return fingerprint

    def _begin(self, engine: AdversarialEvaluator) -> None:
        """Refuse a stored result of another model, forget stored rows made under other settings, remember the result
        this run starts from, start this run's record.

        The model is fingerprinted here, at ``EPOCH_STARTED``, after a ``CheckpointLoader`` has loaded the weights at
        ``STARTED``, and on every run: a validation evaluator run once per training epoch fingerprints each epoch's
        weights. Its own record starts empty at every run (:meth:`_start`) and names no model, so it is never refused;
        only a result handed to it at ``STARTED`` (by :class:`~nlcen_monai.handlers.RobustnessTableWriter`, from disk)
        is compared, so a run that resumes from a store made with other weights, in another process or in this one,
        is refused.
        """
        fingerprint = engine._fingerprint()
        stored = engine.state.robustness
        check_same_model(stored.settings, fingerprint, stored.origin)
        change = stored.drop_stale(engine.settings)
        if change:
            engine.logger.warning(f"the stored result was made with other settings: {change}; they are recomputed.")
        current = {**engine.settings, MODEL_KEY: fingerprint}
        stored.attack, stored.settings = engine.attack_name, recorded_settings(stored.settings, current)
        stored.complete = False
        engine._base = stored.copy()
        engine.state.robustness_run = engine._new_result(current)
        engine._share_pending()

    def _share_pending(self) -> None:
        """Tell a sampler with ``set_pending`` (:class:`~nlcen_monai.data.PendingFirstSampler`) which images of the
        data set still lack rows, before the data loader is iterated: the ranks of a resumed run then share them
        evenly. Nothing is told when the data set's items do not name their files (their case ids are then known
        only per batch)."""
        set_pending = getattr(getattr(self.data_loader, "sampler", None), "set_pending", None)
        items = getattr(getattr(self.data_loader, "dataset", None), "data", None)
        if set_pending is None or items is None:
            return
        ids = [_item_case_id(item, self.case_id_key) for item in items]
        if None in ids:
            set_pending(None)
            return
        pending = set(self._todo(ids)[0])
        set_pending([i in pending for i in range(len(ids))])

    def _add(self, rows: list[dict], **counters: float) -> None:
        self.state.robustness.add(rows, **counters)
        self.state.robustness_run.add(rows, **counters)

    def _finish(self, engine: AdversarialEvaluator) -> None:
        """Gather the ranks' rows, judge the checks and publish the means in ``engine.state.metrics``."""
        if idist.get_world_size() > 1:
            run = RobustnessResult(attack=engine.attack_name)
            for text in string_list_all_gather([json.dumps(engine.state.robustness_run.to_dict())]):
                run = run.merged(RobustnessResult.from_dict(json.loads(text)))
            engine.state.robustness = engine._base.merged(run)
        result = engine.state.robustness
        result.attack = engine.attack_name  # its settings were recorded in _begin (and kept by merged)
        result.checks = None
        if engine.checks is not None:
            result.checks = engine.checks.judge(result.rows, result.per_image, engine.attack_name, engine.members)
        result.complete = True
        engine.state.metrics.update(result.metrics(sorted({a for a, _ in engine.scored})))

    # ---- attacking and predicting ---------------------------------------------------------------------------

    def _role(self, owner: str, name: str) -> RowRole:
        """The role of a row named ``name`` that belongs to ``owner`` (the evaluated attack, or a check)."""
        if owner != self.attack_name:
            return RowRole.CHECK
        return RowRole.EVALUATED if name == owner else RowRole.MEMBER

    def _rows(self, ids: Sequence[str], owner: str, name: str, eps: float, dice, jac, index=None, source=None,
              passes: float | torch.Tensor | None = None) -> list[dict]:
        """Per-image rows of one scored prediction, for the images whose ``owner`` row at ``eps`` is not recorded yet.

        ``index`` lists the batch positions a member attacked (default: all); a tensor ``passes`` is aligned
        with ``dice`` (one per scored image), a number is the same for every image. The rows' role follows from ``owner`` and ``name``.
        """
        role = self._role(owner, name).value
        positions = range(len(ids)) if index is None else index.tolist()
        rows = []
        for k, i in enumerate(positions):
            if self.state.robustness.has(owner, eps, ids[i]):
                continue
            spent = passes[k] if isinstance(passes, torch.Tensor) else passes
            rows.append({
                "case_id": ids[i], "attack": name, "role": role, "eps": eps, "dice": float(dice[k]), "jaccard": float(jac[k]),
                "source": "" if source is None else source[i], "passes": None if spent is None else float(spent),
            })
        return rows

    def _result_rows(self, ids: Sequence[str], result: WorstCaseResult, owner: str, members: bool) -> list[dict]:
        """The rows of a worst-case result: its per-image worst under ``owner`` and, if asked, each member's own."""
        rows = []
        for eps in result.images:
            rows += self._rows(ids, owner, owner, eps, result.dice[eps], result.jaccard[eps],
                               source=result.source[eps], passes=result.passes.get(eps))
        if members:
            for name, by_eps in result.members.items():
                for eps, s in by_eps.items():
                    rows += self._rows(ids, owner, name, eps, s.dice, s.jaccard, index=s.index, passes=s.passes)
        return rows

    def _todo(self, ids: Sequence[str]) -> tuple[list[int], list[float], bool]:
        """Which images of the batch lack rows, at which intensities to attack them, and whether check b runs."""
        stored, expected = self.state.robustness, {c: self._expected(c) for c in ids}
        todo = [i for i, c in enumerate(ids) if any(not stored.has(a, e, c) for a, e in expected[c])]
        eps = sorted({e for i in todo for a, e in expected[ids[i]] if a != CHECK_UNBOUNDED and not stored.has(a, e, ids[i])})
        unbounded = any(not stored.has(a, e, ids[i]) for i in todo for a, e in expected[ids[i]] if a == CHECK_UNBOUNDED)
        return todo, eps, unbounded

    def _iteration(self, engine: AdversarialEvaluator, batchdata: dict[str, torch.Tensor]) -> dict:  # type: ignore[override]
        """Attack the batch's unrecorded images at every intensity (and for the checks), record every score.

        Args:
            engine: this evaluator.
            batchdata: the batch from the data loader.
        """
        if batchdata is None:
            raise ValueError("Must provide batch data for current iteration.")
        started = time.perf_counter()
        batch = engine.prepare_batch(batchdata, engine.state.device, engine.non_blocking, **engine.to_kwargs)
        inputs = convert_to_tensor(batch[0], track_meta=False)
        targets = convert_to_tensor(batch[1], track_meta=False)
        all_ids = _case_ids(batchdata, engine.case_id_key, inputs.shape[0], engine.state.iteration)
        todo, run_eps, run_unbounded = engine._todo(all_ids)
        index = torch.as_tensor(todo, dtype=torch.long, device=inputs.device)
        inputs, targets, ids = inputs[index], targets[index], [all_ids[i] for i in todo]
        output: dict[str, Any] = {Keys.IMAGE: inputs, Keys.LABEL: targets, "case_id": ids}
        if not todo:
            output[Keys.PRED] = torch.zeros((0, engine.num_classes, *inputs.shape[2:]), device=inputs.device)
        else:
            clean_pred = engine._attack_batch(ids, inputs, targets, run_eps, run_unbounded)
            output[Keys.PRED] = one_hot(clean_pred, engine.num_classes)
            engine._add([], seconds=time.perf_counter() - started)
        engine.state.output = output
        engine.fire_event(IterationEvents.FORWARD_COMPLETED)
        engine.fire_event(IterationEvents.MODEL_COMPLETED)
        return output

    def _attack_batch(self, ids: list[str], inputs: torch.Tensor, targets: torch.Tensor, run_eps: list[float],
                      run_unbounded: bool) -> torch.Tensor:
        """Attack and score the images, add their rows to the result; returns the clean predictions."""
        model, name, rows = self.attacked_network, self.attack_name, []
        attack_eps = [e for e in run_eps if e > 0]
        counters = {"run": 0.0, "saved": 0.0}
        with self.mode(self.network), torch.enable_grad():
            clean_pred = predict_classes(model, inputs)
            if 0.0 in run_eps:
                dice, jac = per_image_scores(clean_pred, targets, self.num_classes)
                rows += self._rows(ids, name, name, 0.0, dice, jac, passes=0.0)
            sample = [i for i, c in enumerate(ids) if self.checks is not None and self.checks.in_sample(c)]
            worst: dict[float, torch.Tensor] = {}
            if attack_eps:
                needed = set(attack_eps)
                if sample:  # the checks also start from the worst case below (c) and at the largest intensity (b)
                    needed |= {b for b in (self._below(e) for e in self._check_eps if e in attack_eps) if b}
                    if run_unbounded:
                        needed.add(max(self._positive))
                worst = self._worst_case(ids, inputs, targets, sorted(needed), rows, counters)
            if sample:
                index = torch.as_tensor(sample, dtype=torch.long, device=inputs.device)
                rows += self._run_checks([ids[i] for i in sample], inputs[index], targets[index],
                                         {e: x[index] for e, x in worst.items()}, attack_eps, run_unbounded, counters)
        if self.state.examples is None and self.keep_examples > 0:
            adversarial = {0.0: inputs, **{e: worst[e] for e in attack_eps}}
            preds = {0.0: clean_pred, **{e: predict_classes(model, worst[e]) for e in attack_eps}}
            self.state.examples = AdversarialExamples.keep(self.keep_examples, ids, inputs, targets, adversarial, preds)
        self._add(rows, **counters)
        return clean_pred

    def _below(self, eps: float) -> float | None:
        """The evaluated intensity just below ``eps`` (None for the smallest): where a chained worst case began."""
        return max((e for e in self._positive if e < eps), default=None)

    def _worst_case(self, ids: list[str], inputs: torch.Tensor, targets: torch.Tensor, epsilons: list[float],
                    rows: list[dict], counters: dict[str, float]) -> dict[float, torch.Tensor]:
        """The evaluated attack's worst images at ``epsilons``: the recorded ones where there are, else attacked now.

        An image whose row at an intensity is recorded and whose worst image is stored is not attacked
        again at it; the others are attacked (from the stored worst case of the intensity below, for a
        chained worst case that begins above the smallest intensity), their new rows go into ``rows``
        and their new worst images into the store.
        """
        name = self.attack_name
        recorded = {(i, e): self.state.robustness.has(name, e, c) for i, c in enumerate(ids) for e in epsilons}
        stored = {(i, e): self.worst_images.load(c, e) if recorded[(i, e)] else None
                  for i, c in enumerate(ids) for e in epsilons}
        attack = [i for i in range(len(ids)) if any(stored[(i, e)] is None for e in epsilons)]
        attacked: dict[float, torch.Tensor] = {}
        if attack:
            first = min(e for i in attack for e in epsilons if stored[(i, e)] is None)
            run_eps = [e for e in epsilons if e >= first]
            sub = torch.as_tensor(attack, dtype=torch.long, device=inputs.device)
            sub_ids = [ids[i] for i in attack]
            attacked = self._attack_images(sub_ids, inputs[sub], targets[sub], run_eps, rows, counters)
        position = {i: k for k, i in enumerate(attack)}
        worst, recomputed = {}, 0
        for e in epsilons:
            images = []
            for i, case in enumerate(ids):
                if stored[(i, e)] is not None:
                    images.append(stored[(i, e)].to(inputs.device, inputs.dtype))
                    continue
                images.append(attacked[e][position[i]])
                if recorded[(i, e)]:
                    recomputed += 1  # recorded before the store kept images: the checks start from a new worst case
                elif self.checks is not None or self.worst_images.folder is not None:  # only the checks read them
                    self.worst_images.save(case, e, attacked[e][position[i]])
            worst[e] = torch.stack(images)
        if recomputed and self.checks is not None:
            self.logger.warning(
                f"{recomputed} recorded worst-case images (image x intensity) are not in the store "
                f"({self.worst_images.folder or 'memory'}): they were attacked again, and the checks start from those."
            )
        return worst

    def _attack_images(self, ids: list[str], inputs: torch.Tensor, targets: torch.Tensor, epsilons: list[float],
                       rows: list[dict], counters: dict[str, float]) -> dict[float, torch.Tensor]:
        """Run the evaluated attack on these images at ``epsilons``; add the rows not recorded yet; return the images."""
        model, name = self.attacked_network, self.attack_name
        below = self._below(epsilons[0]) if self._chained else None
        kept = [] if below is None else [self.worst_images.load(c, below) for c in ids]
        begin = None
        if kept and all(k is not None for k in kept):
            begin = torch.stack(kept).to(inputs.device, inputs.dtype)
        self.plan.num_classes = self.num_classes
        result = self.plan.run(model, inputs, targets, epsilons, initial=begin, start=begin, max_batch=self.max_batch)
        rows += self._result_rows(ids, result, name, members=bool(self.members))
        counters["run"] += result.passes_run
        counters["saved"] += result.passes_saved
        return result.images

    def _ensemble(self, attacks: Sequence[SegmentationAttack], chain_epsilons: bool = True) -> WorstCaseAttack:
        return WorstCaseAttack(attacks, skip_broken=self.plan.skip_broken, broken_dice=self.plan.broken_dice,
                               chain_epsilons=chain_epsilons, num_classes=self.num_classes, name="check")

    def _monotone_attacks(self) -> list[SegmentationAttack]:
        """Check a's attacks for a chained worst case: the configured ones, else its cheapest member at the largest intensity."""
        if self.checks.monotone_attacks is not None:
            return self.checks.monotone_attacks
        return [self.plan.ordered(max(self._positive))[0]]

    def _run_checks(self, ids, inputs, targets, worst: Mapping[float, torch.Tensor], attack_eps: Sequence[float],
                    run_unbounded: bool, counters: dict[str, float]) -> list[dict]:
        """Checks a-d on these images; b-d start from the recorded worst case, with it as a candidate.

        Where their attacks begin (for the members that accept a start point): the unbounded attack continues
        from the worst case at the largest evaluated intensity; the stronger ensemble of check c begins where
        the evaluated one did (for a chained worst case, the recorded worst images of the intensity below),
        so that it is the same procedure with ``factor`` times the budget; the black-box attacks begin on
        their own, without the white-box result. Check a (only for a chained worst case) runs its attacks
        unchained from the clean images at every intensity.
        """
        checks, model, rows = self.checks, self.attacked_network, []
        members = self.plan.attacks
        runs = []
        if run_unbounded:
            unbounded_attacks = members if checks.unbounded_attacks is None else checks.unbounded_attacks
            start = worst.get(max(self._positive)) if self._positive else None
            runs.append((CHECK_UNBOUNDED, self._ensemble(unbounded_attacks), [checks.unbounded_eps], start, start, False))
        if self._monotone and attack_eps:
            runs.append((CHECK_MONOTONE, self._ensemble(self._monotone_attacks(), chain_epsilons=False), list(attack_eps),
                         None, None, False))
        for eps in [e for e in self._check_eps if e in attack_eps]:
            stronger = self._ensemble([a.strengthened(checks.factor) for a in members])
            below = self._below(eps) if self._chained else None
            runs.append((CHECK_MORE_ITERATIONS, stronger, [eps], worst[eps], None if below is None else worst[below], False))
            if checks.black_box:
                runs.append((CHECK_BLACK_BOX, self._ensemble(checks.black_box), [eps], worst[eps], None, True))
        for owner, ensemble, epsilons, candidates, start, with_members in runs:
            result = ensemble.run(model, inputs, targets, epsilons, initial=candidates, start=start)
            rows += self._result_rows(ids, result, owner, members=with_members)
            counters["run"] += result.passes_run
            counters["saved"] += result.passes_saved
        return rows
