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
"""Ignite handler that writes ``robustness.csv``/``robustness.json`` and makes the intensity sweep resume.

At ``Events.STARTED`` it reads the CSV (rank 0, broadcast to the other ranks with Ignite's
``idist``) and removes the intensities already recorded for the evaluator's attack from the
evaluator's list (DESIGN section 7: the sweep resumes from the intensities already written).
At ``Events.COMPLETED`` rank 0 merges the new rows into the table and rewrites both files
atomically. Attach it on every rank (it must not be ``_disabled_`` on rank > 0: all ranks
have to skip the same intensities).
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

import ignite.distributed as idist
from ignite.engine import Events

from nlcen_monai.visualize.table import done_epsilons, write_robustness_table

if TYPE_CHECKING:
    from nlcen_monai.engines import AdversarialEvaluator

__all__ = ["RobustnessTableWriter", "robustness_rows"]


def robustness_rows(engine: AdversarialEvaluator) -> list[dict]:
    """The table rows of the intensities evaluated in the engine's last run (``engine.state.robustness``)."""
    state = getattr(engine.state, "robustness", None) or {}
    attack = state.get("attack", getattr(engine, "attack_name", ""))
    return [{"attack": attack, "eps": eps, **values} for eps, values in state.get("results", {}).items()]


class RobustnessTableWriter:
    """Write the per-intensity DIC/JSC table of an ``AdversarialEvaluator`` and resume from it.

    Args:
        output_dir: the folder of the files.
        csv_filename: the CSV file name (columns ``attack, eps, dice, jaccard, n_images``).
        json_filename: the JSON file name (the same rows as a list); None for no JSON.
        resume: skip the intensities already in the CSV for the evaluator's attack name.
    """

    def __init__(
        self,
        output_dir: str | os.PathLike = "./eval",
        csv_filename: str = "robustness.csv",
        json_filename: str | None = "robustness.json",
        resume: bool = True,
    ) -> None:
        self.output_dir = Path(output_dir)
        self.csv_path = self.output_dir / csv_filename
        self.json_path = None if json_filename is None else self.output_dir / json_filename
        self.resume = resume
        self.logger = logging.getLogger(__name__)

    def attach(self, engine: AdversarialEvaluator) -> None:
        """Register the resume step on ``Events.STARTED`` and the writer on ``Events.COMPLETED``."""
        if self.resume:
            engine.add_event_handler(Events.STARTED, self.skip_done)
        engine.add_event_handler(Events.COMPLETED, self)

    def skip_done(self, engine: AdversarialEvaluator) -> None:
        """Remove from the evaluator the intensities already recorded in the CSV for its attack."""
        done = done_epsilons(self.csv_path, engine.attack_name) if idist.get_rank() == 0 else []
        if idist.get_world_size() > 1:
            done = json.loads(idist.broadcast(json.dumps(done), src=0))
        left = engine.skip_epsilons(done)
        if done:
            self.logger.info(f"{self.csv_path}: {engine.attack_name} already done at eps {done}; computing {left}.")

    def __call__(self, engine: AdversarialEvaluator) -> None:
        """Merge the engine's results into the CSV/JSON (rank 0 only)."""
        if idist.get_rank() != 0:
            return
        write_robustness_table(robustness_rows(engine), self.csv_path, self.json_path)
