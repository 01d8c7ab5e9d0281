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
adversarial evaluator: one line per attack, intensities in increasing order, then the verdict of
the gradient-masking checks.
"""

from __future__ import annotations

import math
import re
from typing import Any

from ignite.engine import Engine

__all__ = ["log_robustness_metrics", "metric_sort_key"]

_NAME = re.compile(r"^(dice|jaccard)_(?:(.+)_)?eps([0-9.eE+-]+)$")


def metric_sort_key(name: str) -> tuple[str, float, str]:
    """``(attack, eps, kind)`` of a metric name such as ``dice_pgd_eps8`` (attack "" for the evaluator's own)."""
    match = _NAME.match(name)
    if match is None:
        return (name, math.inf, "")
    kind, attack, eps = match.groups()
    return (attack or "", float(eps), kind)


def log_robustness_metrics(engine: Engine) -> None:
    """Log the evaluator's metrics, one line per attack with intensities in numeric order, and the verdict.

    Use it as ``StatsHandler(iteration_log=False, epoch_print_logger=log_robustness_metrics)``.
    """
    groups: dict[str, list[str]] = {}
    for name in sorted(engine.state.metrics, key=metric_sort_key):
        value: Any = engine.state.metrics[name]
        if isinstance(value, float) and math.isnan(value):
            continue
        attack, eps, kind = metric_sort_key(name)
        label = attack or getattr(engine, "attack_name", "attack")
        groups.setdefault(label, []).append(f"{kind}@{eps:g}: {value:.4f}" if eps != math.inf else f"{name}: {value}")
    for attack, values in groups.items():
        engine.logger.info(f"Epoch[{engine.state.epoch}] {attack} -- " + " ".join(values))
    state = getattr(engine.state, "robustness", None) or {}
    if state.get("verdict"):
        engine.logger.info(f"gradient-masking checks: {state['verdict']}")
