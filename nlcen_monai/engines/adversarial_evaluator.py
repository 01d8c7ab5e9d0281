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
"""An Ignite/MONAI evaluator that attacks every batch at every intensity and scores each prediction with metric handlers.

``AdversarialEvaluator`` is a MONAI ``SupervisedEvaluator``: it takes the same data loader,
``prepare_batch``, inferer, handlers and bundle-config arguments, and runs under ``torchrun``
(MONAI's cumulative metrics all-gather their buffers; sharding the test set with a
``DistributedSampler`` is the data loader's job). Per batch it crafts adversarial images at every
intensity, through the inferer (so a ``SlidingWindowInferer`` is attacked as it is evaluated), with
either one attack (the paper's I-FGSM uses its exact shared-prefix sweep) or a worst-case ensemble
(:class:`~nlcen_monai.attacks.WorstCaseAttack`: per image, the lowest Dice over its members). Every
prediction goes into the iteration output under its own key (``pred_eps8``, ``pred_apgd_ce_eps8``,
...) and is scored by one :class:`~nlcen_monai.handlers.AttackMeanDice` and one
:class:`~nlcen_monai.handlers.AttackMeanIoU` handler, whose values land in ``engine.state.metrics``
(``dice_eps8``, ``jaccard_apgd_ce_eps8``; see :func:`~nlcen_monai.robustness.metric_name`).

With ``checks`` (:class:`~nlcen_monai.robustness.GradientMaskingChecks`) it also runs, on the same
batches, the attacks of the gradient-masking checks (unbounded, twice the iterations and restarts,
black-box) and judges the four checks at the end of the epoch.

At ``EPOCH_COMPLETED``, ``engine.state.robustness`` holds ``{"attack", "rows", "per_image", "checks",
"verdict", "settings", "passes", "epsilons"}``: the table rows (``attack, eps, dice, jaccard,
n_images``), the per-image rows (``case_id, attack, eps, dice, jaccard, source``), the judged
checks, the passes run and saved by the worst case's skipping with the wall time in seconds (summed
over ranks under ``torchrun``), and the intensities attacked in this run.
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
from nlcen_monai.attacks.utils import as_index_target
from nlcen_monai.attacks.worst_case import WorstCaseAttack, WorstCaseResult, per_image_scores, predict_classes
from nlcen_monai.handlers.attack_metrics import AttackMeanDice, AttackMeanIoU
from nlcen_monai.robustness.checks import (
    CHECK_BLACK_BOX,
    CHECK_MORE_ITERATIONS,
    CHECK_UNBOUNDED,
    GradientMaskingChecks,
    verdict,
)
from nlcen_monai.robustness.results import eps_key, merge_rows, metric_name

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
        ids = []
        for name in names:
            base = os.path.basename(str(name))
            for suffix in (".nii.gz", ".nii", ".png", ".jpg", ".jpeg", ".bmp", ".dcm", ".img", ".IMG"):
                if base.endswith(suffix):
                    base = base[: -len(suffix)]
                    break
            ids.append(base)
        return ids
    return [f"rank{idist.get_rank()}_iteration{iteration}_{i}" for i in range(batch_size)]


class AdversarialEvaluator(SupervisedEvaluator):
    """Robustness evaluation: DIC and JSC of ``network`` on clean and adversarial images, per attack and intensity.

    Args:
        device: the device to run on.
        val_data_loader: the test data (dicts with "image" in [0, 255] and "label"); shard it with a
            ``DistributedSampler`` under ``torchrun``.
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
        checks: the gradient-masking checks to run and judge; None: no checks (and no robustness claim).
        key_metric: the metric to use as the evaluator's key metric (e.g. ``"dice_eps8"`` to select a
            checkpoint on robust Dice); None: no key metric.
        case_id_key: the batch key whose file names give the case ids of the per-image rows.
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
        key_metric: str | None = None,
        case_id_key: str = Keys.IMAGE,
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
        self.members = [a.name for a in self.attack.attacks] if isinstance(self.attack, WorstCaseAttack) else []
        positive = sorted({eps_key(e) for e in epsilons if float(e) > 0})
        self.epsilons: list[float] = ([0.0] if include_clean else []) + positive
        self.num_classes = int(num_classes)
        self.max_batch = max_batch
        self.checks = checks
        self.case_id_key = case_id_key
        self._check_eps = checks.check_epsilons(positive) if checks is not None else []
        self.scored = self._scored_keys(positive)
        self._metric_handlers: dict[str, Any] = {}
        for attack_name, eps in self.scored:
            key = self.score_key(attack_name, eps)
            self._metric_handlers[metric_name("dice", eps, attack_name)] = AttackMeanDice(key)
            self._metric_handlers[metric_name("jaccard", eps, attack_name)] = AttackMeanIoU(key)
        metrics = dict(self._metric_handlers)
        key_val_metric = None
        if key_metric is not None:
            if key_metric not in metrics:
                raise ValueError(f"key_metric '{key_metric}' is not one of the evaluator's metrics {sorted(metrics)}.")
            key_val_metric = {key_metric: metrics.pop(key_metric)}
        super().__init__(
            device=device,
            val_data_loader=val_data_loader,
            network=network,
            epoch_length=epoch_length,
            non_blocking=non_blocking,
            prepare_batch=prepare_batch,
            inferer=inferer,
            key_val_metric=key_val_metric,
            additional_metrics=metrics,
            amp=False,
            mode=mode,
            event_names=event_names,
            event_to_attr=event_to_attr,
            decollate=decollate,
            to_kwargs=to_kwargs,
            amp_kwargs=amp_kwargs,
        )
        if key_val_metric is None:  # MONAI's Workflow attaches additional metrics only beside a key metric
            for name, handler in metrics.items():
                handler.attach(self, name)
        self.attacked_network = InfererNetwork(self.network, self.inferer)
        self._previous_rows: list[dict] = []
        self._previous_per_image: list[dict] = []
        self.state.robustness = {}
        self.state.per_image = []
        self.state.passes = {"run": 0.0, "saved": 0.0}
        self.add_event_handler(Events.EPOCH_STARTED, self._reset_robustness)
        self.add_event_handler(Events.EPOCH_COMPLETED, self._compute_robustness)
        if val_handlers is not None:
            self._register_handlers(val_handlers)

    # ---- what is scored -------------------------------------------------------------------------------------

    @staticmethod
    def score_key(attack: str | None, eps: float) -> str:
        """The output key suffix of a scored prediction: ``eps8`` (the evaluator's attack) or ``pgd_eps8``."""
        return metric_name("dice", eps, attack)[len("dice_") :]

    def _scored_keys(self, positive: Sequence[float]) -> list[tuple[str | None, float]]:
        keys: list[tuple[str | None, float]] = [(None, e) for e in self.epsilons]
        keys += [(m, e) for m in self.members for e in positive]
        if self.checks is not None:
            keys.append((CHECK_UNBOUNDED, self.checks.unbounded_eps))
            for e in self._check_eps:
                keys += [(CHECK_MORE_ITERATIONS, e), (CHECK_BLACK_BOX, e)]
                keys += [(a.name, e) for a in self.checks.black_box]
        return keys

    def skip_epsilons(
        self, done: Iterable[float], rows: Sequence[Mapping] = (), per_image: Sequence[Mapping] = ()
    ) -> list[float]:
        """Resume: drop intensities already computed (e.g. read from ``robustness.csv``); returns the ones left.

        Args:
            done: intensities to skip (eps = 0 skips the clean evaluation).
            rows: the rows already written, merged into this run's rows for the checks and the report.
            per_image: the per-image rows already written, likewise.
        """
        skip = {eps_key(e) for e in done}
        self.epsilons = [e for e in self.epsilons if e not in skip]
        self._previous_rows = [dict(r) for r in rows]
        self._previous_per_image = [dict(r) for r in per_image]
        return list(self.epsilons)

    # ---- attacking and predicting ---------------------------------------------------------------------------

    def attack_images(self, images: torch.Tensor, label: torch.Tensor, eps: float) -> torch.Tensor:
        """The evaluator's attack on ``images`` at intensity ``eps``, through the inferer (used by the panel handler)."""
        if float(eps) == 0:
            return convert_to_tensor(images, track_meta=False)
        with torch.enable_grad():
            return self.attack(self.attacked_network, images, label, eps)

    def predict(self, images: torch.Tensor) -> torch.Tensor:
        """Logits of the network through the inferer, in the evaluator's forward mode, without gradients."""
        with self.mode(self.network), torch.no_grad():
            return self.attacked_network(images)

    def _reset_robustness(self, engine: AdversarialEvaluator) -> None:
        engine.state.per_image = []
        engine.state.passes = {"run": 0.0, "saved": 0.0}
        engine._started = time.perf_counter()

    def _put(self, output: dict, per_image: list, ids: list[str], attack: str | None, eps: float, pred, dice, jac,
             index: torch.Tensor | None = None, source: Sequence[str] | None = None) -> None:
        """Store one scored prediction under its output key and its per-image rows."""
        key = self.score_key(attack, eps)
        output[f"pred_{key}"] = one_hot(pred, self.num_classes)
        rows_index = range(len(ids)) if index is None else index.tolist()
        if index is not None:
            output[f"index_{key}"] = index
        name = self.attack_name if attack is None else attack
        for k, i in enumerate(rows_index):
            per_image.append({
                "case_id": ids[i], "attack": name, "eps": eps, "dice": float(dice[k]), "jaccard": float(jac[k]),
                "source": "" if source is None else source[i],
            })

    def _put_result(self, output: dict, per_image: list, ids: list[str], result: WorstCaseResult,
                    attack: str | None, members: bool) -> None:
        """Store a worst-case result: its per-image worst under ``attack`` and, if asked, each member's own scores."""
        for eps in result.images:
            self._put(output, per_image, ids, attack, eps, result.pred[eps], result.dice[eps], result.jaccard[eps],
                      source=result.source[eps])
        if members:
            for name, by_eps in result.members.items():
                for eps, s in by_eps.items():
                    self._put(output, per_image, ids, name, eps, s.pred, s.dice, s.jaccard, index=s.index)
        self.state.passes["run"] += result.passes_run
        self.state.passes["saved"] += result.passes_saved

    def _iteration(self, engine: AdversarialEvaluator, batchdata: dict[str, torch.Tensor]) -> dict:  # type: ignore[override]
        """Attack the batch at every intensity (and for the checks), predict through the inferer, store every key.

        Args:
            engine: this evaluator.
            batchdata: the batch from the data loader.
        """
        if batchdata is None:
            raise ValueError("Must provide batch data for current iteration.")
        batch = engine.prepare_batch(batchdata, engine.state.device, engine.non_blocking, **engine.to_kwargs)
        inputs = convert_to_tensor(batch[0], track_meta=False)
        targets = convert_to_tensor(batch[1], track_meta=False)
        ids = _case_ids(batchdata, engine.case_id_key, inputs.shape[0], engine.state.iteration)
        model = engine.attacked_network
        attack_eps = [e for e in engine.epsilons if e > 0]
        output: dict[str, Any] = {Keys.IMAGE: inputs, Keys.LABEL: targets}
        per_image: list[dict] = []
        with engine.mode(engine.network), torch.enable_grad():
            clean_pred = predict_classes(model, inputs)
            output["label_onehot"] = one_hot(as_index_target(targets, inputs).unsqueeze(1), engine.num_classes)
            if 0.0 in engine.epsilons:
                dice, jac = per_image_scores(clean_pred, targets, engine.num_classes)
                engine._put(output, per_image, ids, None, 0.0, clean_pred, dice, jac)
            worst: dict[float, torch.Tensor] = {}
            if isinstance(engine.attack, WorstCaseAttack):
                engine.attack.num_classes = engine.num_classes
                result = engine.attack.run(model, inputs, targets, attack_eps, max_batch=engine.max_batch)
                engine._put_result(output, per_image, ids, result, None, members=True)
                worst = result.images
            elif attack_eps:
                worst = engine.attack.sweep(model, inputs, targets, attack_eps, max_batch=engine.max_batch)
                for eps in attack_eps:
                    pred = predict_classes(model, worst[eps])
                    dice, jac = per_image_scores(pred, targets, engine.num_classes)
                    engine._put(output, per_image, ids, None, eps, pred, dice, jac)
                engine.state.passes["run"] += engine.attack.sweep_cost(attack_eps) * inputs.shape[0]
            if engine.checks is not None and attack_eps:
                engine._run_checks(output, per_image, ids, model, inputs, targets, worst)
        output[Keys.PRED] = one_hot(clean_pred, engine.num_classes)
        engine.state.output = output
        engine.state.per_image.extend(per_image)
        engine.fire_event(IterationEvents.FORWARD_COMPLETED)
        engine.fire_event(IterationEvents.MODEL_COMPLETED)
        return output

    def _ensemble(self, attacks: Sequence[SegmentationAttack]) -> WorstCaseAttack:
        skip = self.attack.skip_broken if isinstance(self.attack, WorstCaseAttack) else True
        broken = self.attack.broken_dice if isinstance(self.attack, WorstCaseAttack) else 0.0
        return WorstCaseAttack(attacks, skip_broken=skip, broken_dice=broken, num_classes=self.num_classes, name="check")

    def _run_checks(self, output, per_image, ids, model, inputs, targets, worst: Mapping[float, torch.Tensor]) -> None:
        """Checks b-d on this batch, each starting from the evaluated worst case (so they can only lower it)."""
        checks = self.checks
        members = self.attack.attacks if isinstance(self.attack, WorstCaseAttack) else [self.attack]
        largest = max(worst)
        unbounded_attacks = members if checks.unbounded_attacks is None else checks.unbounded_attacks
        unbounded = self._ensemble(unbounded_attacks).run(
            model, inputs, targets, [checks.unbounded_eps], initial=worst[largest]
        )
        self._put_result(output, per_image, ids, unbounded, CHECK_UNBOUNDED, members=False)
        for eps in self._check_eps:
            if eps not in worst:
                continue
            stronger = self._ensemble([a.strengthened(checks.factor) for a in members])
            result = stronger.run(model, inputs, targets, [eps], initial=worst[eps])
            self._put_result(output, per_image, ids, result, CHECK_MORE_ITERATIONS, members=False)
            if checks.black_box:
                result = self._ensemble(checks.black_box).run(model, inputs, targets, [eps], initial=worst[eps])
                self._put_result(output, per_image, ids, result, CHECK_BLACK_BOX, members=True)

    # ---- results --------------------------------------------------------------------------------------------

    def _gather_per_image(self) -> list[dict]:
        rows = self.state.per_image
        if idist.get_world_size() > 1:
            rows = [json.loads(r) for r in string_list_all_gather([json.dumps(r) for r in rows])]
        return rows

    def _compute_robustness(self, engine: AdversarialEvaluator) -> None:
        rows = []
        for attack, eps in engine.scored:
            dice_handler = engine._metric_handlers[metric_name("dice", eps, attack)]
            if dice_handler.n_images == 0:
                continue
            rows.append({
                "attack": engine.attack_name if attack is None else attack,
                "eps": eps,
                "dice": float(engine.state.metrics[metric_name("dice", eps, attack)]),
                "jaccard": float(engine.state.metrics[metric_name("jaccard", eps, attack)]),
                "n_images": dice_handler.n_images,
            })
        per_image = engine._gather_per_image()
        passes = dict(engine.state.passes, seconds=time.perf_counter() - engine._started)
        if idist.get_world_size() > 1:
            passes = {k: float(idist.all_reduce(float(v))) for k, v in passes.items()}
        all_rows = merge_rows(engine._previous_rows, rows)
        all_per_image = engine._previous_per_image + per_image
        checks = None
        if engine.checks is not None:
            checks = engine.checks.judge(all_rows, all_per_image, engine.attack_name, engine.members)
        engine.state.robustness = {
            "attack": engine.attack_name,
            "rows": rows,
            "per_image": per_image,
            "all_rows": all_rows,
            "checks": checks,
            "verdict": verdict(checks),
            "settings": {
                "attack": engine.attack.describe(),
                "checks": None if engine.checks is None else engine.checks.describe(),
            },
            "passes": passes,
            "epsilons": [e for e in engine.epsilons if e > 0],
        }
