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
"""An Ignite/MONAI evaluator that attacks every batch at every intensity and accumulates DIC and JSC per intensity.

``AdversarialEvaluator`` is a MONAI ``SupervisedEvaluator``: it takes the same data loader,
``prepare_batch``, handlers and bundle-config arguments, and runs under ``torchrun`` (MONAI's
cumulative metrics all-gather their buffers across ranks; sharding the test set with a
``DistributedSampler`` is the data loader's job). Per batch it crafts adversarial images at
every intensity with one call of ``Attack.sweep`` (the shared-prefix sweep for I-FGSM),
predicts on each, and feeds one ``DiceMetric`` and one ``MeanIoU`` per intensity (eps = 0 is
the clean image). At the end of the epoch the results are in ``engine.state.robustness``
and ``engine.state.metrics``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import torch
from monai.data import decollate_batch
from monai.engines import SupervisedEvaluator
from monai.engines.utils import IterationEvents, default_prepare_batch
from monai.metrics import DiceMetric, MeanIoU
from monai.transforms import AsDiscreted
from monai.utils import CommonKeys as Keys
from monai.utils import ForwardMode, convert_to_tensor
from torch.utils.data import DataLoader

from nlcen_monai.attacks import Attack, get_attack
from nlcen_monai.visualize.table import eps_key

try:
    from ignite.engine import Events
except ImportError as e:  # pragma: no cover - ignite is a hard dependency of this package
    raise ImportError("AdversarialEvaluator needs pytorch-ignite.") from e

__all__ = ["AdversarialEvaluator", "PAPER_EPSILONS"]

# the paper's intensities (grey levels)
PAPER_EPSILONS = (0.5, 1, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32)


class AdversarialEvaluator(SupervisedEvaluator):
    """Robustness evaluation: DIC and JSC of ``network`` on clean and adversarial images, per intensity.

    Args:
        device: the device to run on.
        val_data_loader: the test data (dicts with "image" in [0, 255] and "label"); shard it with a
            ``DistributedSampler`` under ``torchrun``.
        network: maps [0, 255] images to logits (B, num_classes, H, W) in eval mode.
        epsilons: the intensities in grey levels (default: the paper's 18).
        attack: an attack name for ``get_attack`` or an ``Attack`` instance.
        attack_kwargs: keyword arguments for ``get_attack`` (e.g. ``{"restarts": 3, "seed": 0}``, or
            ``{"source_model": ..., "base": "targeted_ifgsm"}`` for a transfer attack).
        attack_name: the name written in the results (default: the attack's name).
        include_clean: also evaluate the clean images (eps = 0).
        num_classes: number of output classes (for the default postprocessing).
        max_batch: the most images per forward/backward pass in the sweep (default: the batch size).
        postprocessing: a MONAI dictionary transform applied to each decollated ``{"pred", "label"}``
            item before the metrics, per intensity; default ``AsDiscreted(keys=("pred", "label"),
            argmax=(True, False), to_onehot=num_classes)``. Unlike ``SupervisedEvaluator`` it is not
            run on ``engine.state.output``.
        epoch_length, non_blocking, prepare_batch, val_handlers, amp, mode, event_names, event_to_attr,
            decollate, to_kwargs, amp_kwargs: as for MONAI's ``SupervisedEvaluator``, except that
            ``decollate`` defaults to False (the metrics are computed inside the iteration). ``amp``
            only affects the predictions; the attacks run in the network's dtype.

    The iteration output (``engine.state.output``) holds the clean "image", "label" and "pred".
    At ``EPOCH_COMPLETED``, ``engine.state.robustness`` is ``{"attack": name, "results": {eps:
    {"dice", "jaccard", "n_images"}}}`` and ``engine.state.metrics`` has ``dice_eps<eps>`` and
    ``jaccard_eps<eps>`` for every intensity evaluated in this run.
    """

    def __init__(
        self,
        device: torch.device | str,
        val_data_loader: Iterable | DataLoader,
        network: torch.nn.Module,
        epsilons: Sequence[float] = PAPER_EPSILONS,
        attack: str | Attack = "targeted_ifgsm",
        attack_kwargs: dict[str, Any] | None = None,
        attack_name: str | None = None,
        include_clean: bool = True,
        num_classes: int = 2,
        max_batch: int | None = None,
        postprocessing: Callable | None = None,
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
        super().__init__(
            device=device,
            val_data_loader=val_data_loader,
            network=network,
            epoch_length=epoch_length,
            non_blocking=non_blocking,
            prepare_batch=prepare_batch,
            amp=amp,
            mode=mode,
            event_names=event_names,
            event_to_attr=event_to_attr,
            decollate=decollate,
            to_kwargs=to_kwargs,
            amp_kwargs=amp_kwargs,
        )
        if isinstance(attack, str):
            attack = get_attack(attack, **(attack_kwargs or {}))
        elif attack_kwargs:
            raise ValueError("attack_kwargs are only used with an attack name, not with an Attack instance.")
        self.attack = attack
        self.attack_name = attack_name or attack.name
        eps = sorted({eps_key(e) for e in epsilons if float(e) > 0})
        if any(float(e) < 0 for e in epsilons):
            raise ValueError(f"intensities must be >= 0, got {list(epsilons)}.")
        self.epsilons: list[float] = ([0.0] if include_clean else []) + eps
        self.num_classes = num_classes
        self.max_batch = max_batch
        self.metric_postprocessing = postprocessing or AsDiscreted(
            keys=(Keys.PRED, Keys.LABEL), argmax=(True, False), to_onehot=(num_classes, num_classes)
        )
        self._metrics: dict[float, tuple[DiceMetric, MeanIoU]] = {}
        self.state.robustness = {}
        self.add_event_handler(Events.EPOCH_STARTED, self._reset_robustness)
        self.add_event_handler(Events.EPOCH_COMPLETED, self._compute_robustness)
        if val_handlers is not None:
            self._register_handlers(val_handlers)

    def skip_epsilons(self, done: Iterable[float]) -> list[float]:
        """Remove intensities already computed (e.g. read from ``robustness.csv``); returns the ones left.

        Args:
            done: intensities to skip (eps = 0 skips the clean evaluation).
        """
        skip = {eps_key(e) for e in done}
        self.epsilons = [e for e in self.epsilons if e not in skip]
        return list(self.epsilons)

    def attack_images(self, images: torch.Tensor, label: torch.Tensor, eps: float) -> torch.Tensor:
        """The evaluator's attack on ``images`` at intensity ``eps`` (used by the panel handler)."""
        if float(eps) == 0:
            return convert_to_tensor(images, track_meta=False)
        with torch.enable_grad():
            return self.attack(self.network, images, label, eps)

    def predict(self, images: torch.Tensor) -> torch.Tensor:
        """Logits of the network in the evaluator's forward mode, without gradients."""
        with self.mode(self.network):
            if self.amp:
                with torch.autocast("cuda", **self.amp_kwargs):
                    return self.network(images)
            return self.network(images)

    def _reset_robustness(self, engine: AdversarialEvaluator) -> None:
        self._metrics = {
            eps: (
                DiceMetric(include_background=False, reduction="mean", get_not_nans=True),
                MeanIoU(include_background=False, reduction="mean", get_not_nans=True),
            )
            for eps in self.epsilons
        }

    def _update_metrics(self, eps: float, logits: torch.Tensor, label: torch.Tensor) -> None:
        items = [self.metric_postprocessing(d) for d in decollate_batch({Keys.PRED: logits, Keys.LABEL: label})]
        pred = torch.stack([convert_to_tensor(d[Keys.PRED], track_meta=False) for d in items])
        ref = torch.stack([convert_to_tensor(d[Keys.LABEL], track_meta=False) for d in items])
        for metric in self._metrics[eps]:
            metric(y_pred=pred, y=ref)

    def _compute_robustness(self, engine: AdversarialEvaluator) -> None:
        results = {}
        for eps, (dice_metric, iou_metric) in self._metrics.items():
            if dice_metric.get_buffer() is None:  # no data on any rank
                continue
            dice, _ = dice_metric.aggregate()
            jaccard, _ = iou_metric.aggregate()
            results[eps] = {"dice": float(dice), "jaccard": float(jaccard), "n_images": len(dice_metric)}
            engine.state.metrics[f"dice_eps{eps:g}"] = results[eps]["dice"]
            engine.state.metrics[f"jaccard_eps{eps:g}"] = results[eps]["jaccard"]
        engine.state.robustness = {"attack": self.attack_name, "results": results}

    def _iteration(self, engine: AdversarialEvaluator, batchdata: dict[str, torch.Tensor]) -> dict:  # type: ignore[override]
        """Attack the batch at every intensity, predict on each, update the per-intensity metrics.

        Args:
            engine: this evaluator.
            batchdata: the batch from the data loader.
        """
        if batchdata is None:
            raise ValueError("Must provide batch data for current iteration.")
        batch = engine.prepare_batch(batchdata, engine.state.device, engine.non_blocking, **engine.to_kwargs)
        inputs, targets = batch[0], batch[1]
        attack_eps = [e for e in engine.epsilons if e > 0]
        with engine.mode(engine.network):
            # the parent runs its forward under no_grad (monai.networks.utils.eval_mode): the attack needs gradients
            with torch.enable_grad():
                adversarial = (
                    engine.attack.sweep(engine.network, inputs, targets, attack_eps, max_batch=engine.max_batch)
                    if attack_eps
                    else {}
                )
        clean_logits = engine.predict(inputs)
        for eps in engine.epsilons:
            logits = clean_logits if eps == 0 else engine.predict(adversarial[eps])
            engine._update_metrics(eps, logits, targets)
        engine.state.output = {Keys.IMAGE: inputs, Keys.LABEL: targets, Keys.PRED: clean_logits}
        engine.fire_event(IterationEvents.FORWARD_COMPLETED)
        engine.fire_event(IterationEvents.MODEL_COMPLETED)
        return engine.state.output
