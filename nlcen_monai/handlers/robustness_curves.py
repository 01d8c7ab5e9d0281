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
"""Ignite handler that draws the DIC/JSC-vs-intensity curves (paper Figures 4-5 style) when evaluation completes.

A thin wrapper of ``nlcen_monai.visualize.plot_robustness_curves`` on the results store in
``engine.state.robustness`` (the whole result, earlier runs included when the table writer resumed
it). Every attack is drawn (a worst-case ensemble's curve thick, beside each member's, the paper's
attack among them), the ``check_*`` rows of the gradient-masking checks are not curves, a point whose
intensity did not pass the checks is hollow (an upper bound), and the checks' verdict per intensity
is printed under the panels. Other models' results are loaded with the store.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import ignite.distributed as idist
from ignite.engine import Events

from nlcen_monai.robustness import ResultFiles, RobustnessResult, verdict
from nlcen_monai.robustness.roles import RowRole
from nlcen_monai.visualize.plots import plot_robustness_curves

if TYPE_CHECKING:
    from ignite.engine import Engine

__all__ = ["RobustnessCurvesWriter"]


class RobustnessCurvesWriter:
    """Write a PNG of DIC and JSC against the intensity, one line per model/attack (rank 0 only).

    Args:
        output_dir: the folder of the figure.
        filename: the PNG file name.
        model_name: the legend label of this model ("" labels lines by attack only).
        other_models: ``{label: path to another model's robustness.csv}`` drawn on the same figure.
        attacks: only these attacks (default: all but the ``check_*`` rows).
        title: the figure title.
    """

    def __init__(
        self,
        output_dir: str | os.PathLike = "./eval",
        filename: str = "robustness_curves.png",
        model_name: str = "",
        other_models: Mapping[str, str | os.PathLike] | None = None,
        attacks: Sequence[str] | None = None,
        title: str | None = None,
    ) -> None:
        self.output_dir = Path(output_dir)
        self.path = self.output_dir / filename
        self.model_name = model_name
        self.other_models = dict(other_models or {})
        self.attacks = attacks
        self.title = title

    def attach(self, engine: Engine) -> None:
        """Draw the figure on ``Events.COMPLETED``."""
        engine.add_event_handler(Events.COMPLETED, self)

    def __call__(self, engine: Engine) -> None:
        if idist.get_rank() != 0:
            return
        result = getattr(engine.state, "robustness", None) or RobustnessResult()
        rows = [r for r in result.rows if r["role"] != RowRole.CHECK.value]
        if not rows:
            return
        others = {label: RobustnessResult.load(ResultFiles.of_table(path)).rows for label, path in self.other_models.items()}
        others = {label: [r for r in rows if r["role"] != RowRole.CHECK.value] for label, rows in others.items()}
        note = result.verdict if result.epsilons else verdict(None)
        plot_robustness_curves({self.model_name: rows, **others}, self.path, self.attacks, self.title, note=note)
