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

A thin wrapper of ``nlcen_monai.visualize.plot_robustness_curves``: the rows are those of the
CSV (if any) updated with the engine's new results, so the figure is complete after a resumed run
whatever the order of the handlers. Every attack is drawn (a worst-case ensemble's curve thick,
beside each member's, the paper's attack among them), the ``check_*`` rows of the gradient-masking
checks are not curves, and the checks' verdict is printed under the panels.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import ignite.distributed as idist
from ignite.engine import Events

from nlcen_monai.robustness.checks import verdict
from nlcen_monai.robustness.results import merge_rows, read_robustness_csv
from nlcen_monai.visualize.plots import plot_robustness_curves

from .robustness_table import robustness_rows

if TYPE_CHECKING:
    from nlcen_monai.engines import AdversarialEvaluator

__all__ = ["RobustnessCurvesWriter"]


class RobustnessCurvesWriter:
    """Write a PNG of DIC and JSC against the intensity, one line per model/attack (rank 0 only).

    Args:
        output_dir: the folder of the figure and of this model's ``robustness.csv``.
        filename: the PNG file name.
        csv_filename: the name of this model's CSV in ``output_dir`` (earlier rows to include).
        model_name: the legend label of this model ("" labels lines by attack only).
        other_models: ``{label: path to another robustness.csv}`` drawn on the same figure.
        attacks: only these attacks (default: all but the ``check_*`` rows).
        title: the figure title.
    """

    def __init__(
        self,
        output_dir: str | os.PathLike = "./eval",
        filename: str = "robustness_curves.png",
        csv_filename: str = "robustness.csv",
        model_name: str = "",
        other_models: Mapping[str, str | os.PathLike] | None = None,
        attacks: Sequence[str] | None = None,
        title: str | None = None,
    ) -> None:
        self.output_dir = Path(output_dir)
        self.path = self.output_dir / filename
        self.csv_path = self.output_dir / csv_filename
        self.model_name = model_name
        self.other_models = dict(other_models or {})
        self.attacks = attacks
        self.title = title

    def attach(self, engine: AdversarialEvaluator) -> None:
        """Draw the figure on ``Events.COMPLETED``."""
        engine.add_event_handler(Events.COMPLETED, self)

    def __call__(self, engine: AdversarialEvaluator) -> None:
        if idist.get_rank() != 0:
            return
        rows = merge_rows(read_robustness_csv(self.csv_path), robustness_rows(engine))
        rows = [r for r in rows if not str(r["attack"]).startswith("check_")]
        if not rows:
            return
        state = getattr(engine.state, "robustness", None) or {}
        note = state.get("verdict") or verdict(None)
        plot_robustness_curves(
            {self.model_name: rows, **self.other_models}, self.path, self.attacks, self.title, note=note
        )
