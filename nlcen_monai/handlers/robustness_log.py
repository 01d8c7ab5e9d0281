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
"""The epoch log of a robustness evaluation, per attack and in numeric order of the intensity.

MONAI's ``StatsHandler`` prints ``engine.state.metrics`` sorted by name, which puts ``dice_eps10``
before ``dice_eps2``; :func:`log_robustness_metrics` is its ``epoch_print_logger`` for the
adversarial evaluator: one line per attack, intensities in increasing order (names read with
:meth:`~nlcen_monai.robustness.MetricKey.from_name`), every figure whose intensity did not pass the
gradient-masking checks marked ``<=`` (an upper bound), then the checks' verdict per intensity.
"""

from __future__ import annotations

import math
from typing import Any

from ignite.engine import Engine

from nlcen_monai.robustness import MetricKey

__all__ = ["log_robustness_metrics", "metric_sort_key"]


def metric_sort_key(name: str) -> tuple[str, float, str]:
    """``(attack, eps, kind)`` of a metric name such as ``dice_pgd_eps8`` (attack "" for the evaluator's own)."""
    if not MetricKey.is_name(name):
        return (name, math.inf, "")
    key = MetricKey.from_name(name)
    return (key.attack or "", key.eps, key.kind)


def log_robustness_metrics(engine: Engine) -> None:
    """Log the evaluator's metrics, one line per attack with intensities in numeric order, and the verdict.

    Each Dice is followed by its 95 % interval and the number of images it is the mean of, e.g.
    ``dice@8: 0.8770 [0.8600, 0.8930] n=14``; ``<=`` marks an upper bound.

    Use it as ``StatsHandler(iteration_log=False, epoch_print_logger=log_robustness_metrics)``.
    """
    result = getattr(engine.state, "robustness", None)
    attack_name = getattr(result, "attack", "") or "attack"
    rows = {} if result is None else {(r["attack"], r["eps"]): r for r in result.rows}
    groups: dict[str, list[str]] = {}
    for name in sorted(engine.state.metrics, key=metric_sort_key):
        value: Any = engine.state.metrics[name]
        if isinstance(value, float) and math.isnan(value):
            continue
        attack, eps, kind = metric_sort_key(name)
        label = attack or attack_name
        if eps == math.inf:
            groups.setdefault(label, []).append(f"{name}: {value}")
            continue
        row = rows.get((label, eps), {})
        bound = "<=" if row.get("upper_bound", eps > 0) else ""  # a metric without a row: not checked
        interval = ""
        if kind == "dice" and row.get("dice_low") is not None:
            interval = f" [{row['dice_low']:.4f}, {row['dice_high']:.4f}] n={row['n_images']}"
        groups.setdefault(label, []).append(f"{kind}@{eps:g}: {bound}{value:.4f}{interval}")
    for attack, values in groups.items():
        engine.logger.info(f"Epoch[{engine.state.epoch}] {attack} -- " + " ".join(values))
    if result is not None and result.epsilons:
        engine.logger.info(f"gradient-masking checks ('<=': an upper bound): {result.verdict}")
