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
"""Ignite handler that writes the robustness results and makes the evaluation resume from them.

At ``Events.STARTED`` it reads ``robustness.csv`` and ``robustness_per_image.csv`` (rank 0,
broadcast to the other ranks with Ignite's ``idist``), removes the intensities already recorded
for the evaluator's attack from the evaluator's list and hands it the old rows (so the
gradient-masking checks are judged on the whole table). At ``Events.COMPLETED`` rank 0 merges the
new rows into ``robustness.csv``, ``robustness_per_image.csv`` and ``robustness.json`` (with the
checks, the verdict, the attack settings, and the passes and seconds spent, summed over resumed
runs) through ``nlcen_monai.robustness``.
Attach it on every rank (it must not be ``_disabled_`` on rank > 0: all ranks have to skip the
same intensities).
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

import ignite.distributed as idist
from ignite.engine import Events

from nlcen_monai.robustness.results import (
    done_epsilons,
    read_per_image_csv,
    read_robustness_csv,
    read_robustness_json,
    write_per_image_csv,
    write_robustness_table,
)

if TYPE_CHECKING:
    from nlcen_monai.engines import AdversarialEvaluator

__all__ = ["RobustnessTableWriter", "robustness_rows"]


def robustness_rows(engine: AdversarialEvaluator) -> list[dict]:
    """The table rows computed in the engine's last run (``engine.state.robustness["rows"]``)."""
    return list((getattr(engine.state, "robustness", None) or {}).get("rows", []))


class RobustnessTableWriter:
    """Write ``robustness.csv``, ``robustness_per_image.csv`` and ``robustness.json``, and resume from them.

    Args:
        output_dir: the folder of the files.
        csv_filename: the table (columns ``attack, eps, dice, jaccard, n_images``).
        json_filename: the JSON report (rows, checks, verdict, settings, passes); None for none.
        per_image_filename: the per-image table (``case_id, attack, eps, dice, jaccard, source``); None for none.
        resume: skip the intensities already in the CSV for the evaluator's attack name.
    """

    def __init__(
        self,
        output_dir: str | os.PathLike = "./eval",
        csv_filename: str = "robustness.csv",
        json_filename: str | None = "robustness.json",
        per_image_filename: str | None = "robustness_per_image.csv",
        resume: bool = True,
    ) -> None:
        self.output_dir = Path(output_dir)
        self.csv_path = self.output_dir / csv_filename
        self.json_path = None if json_filename is None else self.output_dir / json_filename
        self.per_image_path = None if per_image_filename is None else self.output_dir / per_image_filename
        self.resume = resume
        self.logger = logging.getLogger(__name__)

    def attach(self, engine: AdversarialEvaluator) -> None:
        """Register the resume step on ``Events.STARTED`` and the writer on ``Events.COMPLETED``."""
        if self.resume:
            engine.add_event_handler(Events.STARTED, self.skip_done)
        engine.add_event_handler(Events.COMPLETED, self)

    def skip_done(self, engine: AdversarialEvaluator) -> None:
        """Remove from the evaluator the intensities already recorded in the CSV for its attack."""
        old = {"done": [], "rows": [], "per_image": []}
        if idist.get_rank() == 0:
            old["done"] = done_epsilons(self.csv_path, engine.attack_name)
            old["rows"] = read_robustness_csv(self.csv_path)
            old["per_image"] = read_per_image_csv(self.per_image_path) if self.per_image_path else []
        if idist.get_world_size() > 1:
            old = json.loads(idist.broadcast(json.dumps(old), src=0))
        left = engine.skip_epsilons(old["done"], rows=old["rows"], per_image=old["per_image"])
        if old["done"]:
            self.logger.info(f"{self.csv_path}: {engine.attack_name} already done at eps {old['done']}; computing {left}.")

    def __call__(self, engine: AdversarialEvaluator) -> None:
        """Merge the engine's results into the files (rank 0 only)."""
        if idist.get_rank() != 0:
            return
        state = getattr(engine.state, "robustness", None) or {}
        if self.per_image_path is not None:
            write_per_image_csv(state.get("per_image", []), self.per_image_path)
        extra = {k: state[k] for k in ("attack", "checks", "verdict", "settings") if k in state}
        if self.json_path is not None and "passes" in state:  # a resumed run adds its passes and seconds to the earlier ones
            old = read_robustness_json(self.json_path).get("passes", {}) if self.resume else {}
            extra["passes"] = {k: float(old.get(k, 0.0)) + float(v) for k, v in state["passes"].items()}
        write_robustness_table(state.get("rows", []), self.csv_path, self.json_path, extra=extra)
