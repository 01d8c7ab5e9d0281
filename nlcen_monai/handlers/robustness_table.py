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
"""Ignite handler that keeps the results store on disk: read once on resume, saved after every batch.

At ``Events.STARTED`` rank 0 loads the stored :class:`~nlcen_monai.robustness.RobustnessResult`
(``robustness_per_image.csv``, ``robustness.json``, ``robustness.csv``, and the journals of an
unfinished multi-process run), broadcasts it to the other ranks with Ignite's ``idist`` and puts it
in ``engine.state.robustness`` (as MONAI's ``CheckpointLoader`` restores an engine's state): the
evaluator then attacks only the images that lack rows. After every batch the store is saved
atomically (rank 0 in a single process; under ``torchrun`` each rank saves the rows of its own
images to its journal, ``robustness_per_image.rank<r>.csv`` and ``robustness.rank<r>.json``), so a
killed evaluation loses at most one batch. At ``Events.COMPLETED`` rank 0 saves the whole result
(gathered, with the checks judged per intensity) and removes the journals.
The stored result names the model its rows belong to (``settings["model"]``); the evaluator refuses to
resume from another model's, and without ``resume`` this handler refuses to keep another model's rows
beside the new ones (both at ``Events.EPOCH_STARTED``, before any attack).
Attach it on every rank (it must not be ``_disabled_`` on rank > 0: all ranks have to skip the same images).
"""

from __future__ import annotations

import json
import logging
import os
from typing import TYPE_CHECKING

import ignite.distributed as idist
from ignite.engine import Events

from nlcen_monai.robustness import MODEL_KEY, PASS_COUNTERS, ResultFiles, RobustnessResult, check_same_model

if TYPE_CHECKING:
    from ignite.engine import Engine

__all__ = ["RobustnessTableWriter"]


class RobustnessTableWriter:
    """Keep ``robustness.csv``, ``robustness_per_image.csv`` and ``robustness.json`` up to date, and resume from them.

    Args:
        output_dir: the folder of the files.
        csv_filename: the table (``attack, eps, dice, jaccard, n_images, passes, checks``).
        json_filename: the JSON report (rows, checks and per-intensity verdicts, settings, passes); None for none.
        per_image_filename: the per-image record (``case_id, attack, eps, dice, jaccard, source, passes``);
            None for none (then a run cannot resume).
        resume: skip the images already recorded (else everything is recomputed, and the new rows
            replace the old ones in the files; the passes and seconds are this run's).
    """

    def __init__(
        self,
        output_dir: str | os.PathLike = "./eval",
        csv_filename: str = "robustness.csv",
        json_filename: str | None = "robustness.json",
        per_image_filename: str | None = "robustness_per_image.csv",
        resume: bool = True,
    ) -> None:
        self.files = ResultFiles.in_dir(output_dir, csv_filename, json_filename, per_image_filename)
        self.resume = resume
        self._kept = RobustnessResult()
        self.logger = logging.getLogger(__name__)

    @property
    def csv_path(self):
        """The table's path."""
        return self.files.csv

    def attach(self, engine: Engine) -> None:
        """Load on ``Events.STARTED``, check the model on ``Events.EPOCH_STARTED``, save after every iteration and on
        ``Events.COMPLETED``."""
        engine.add_event_handler(Events.STARTED, self.load)
        engine.add_event_handler(Events.EPOCH_STARTED, self.check_model)
        engine.add_event_handler(Events.ITERATION_COMPLETED, self.save_batch)
        engine.add_event_handler(Events.COMPLETED, self)

    def load(self, engine: Engine) -> None:
        """Read the stored result once (rank 0), share it with every rank; with ``resume`` hand it to the engine.

        Journals left by an unfinished multi-process run are merged into the main files and removed first
        (rank 0, before the others go on), since this run's ranks write their own journals under the same
        names: without it, a second interruption would lose the first one's rows.
        """
        error, content = "", {}
        if idist.get_rank() == 0:
            try:
                content = self._consolidated().to_dict()
            except ValueError as e:  # a journal of another model: every rank stops, none waits for the broadcast
                error = str(e)
        if idist.get_world_size() > 1:
            error, content = json.loads(idist.broadcast(json.dumps([error, content]), src=0))
        if error:
            raise ValueError(error)
        stored = RobustnessResult.from_dict(content)
        stored.origin = str(self.files.folder or "")
        if not self.resume:  # kept beside the new rows, not skipped; this run's cost only
            self._kept = RobustnessResult.from_dict({**content, "passes": dict.fromkeys(PASS_COUNTERS, 0.0)})
            self._kept.origin = stored.origin
            return
        engine.state.robustness = stored
        if stored.images:
            self.logger.info(f"{self.files.per_image}: resuming from {len(stored.images)} per-image rows already recorded.")

    def check_model(self, engine: Engine) -> None:
        """Without ``resume``, refuse to keep the stored rows of another model beside this run's (the evaluator has
        recorded the fingerprint of the weights it evaluates when the epoch started; with ``resume`` it compared
        the stored result itself)."""
        if self.resume:
            return
        current = getattr(getattr(engine.state, "robustness", None), "settings", None) or {}
        check_same_model(self._kept.settings, current.get(MODEL_KEY), self._kept.origin)

    def _consolidated(self) -> RobustnessResult:
        """The stored result, its journals (if any) merged into the main files and removed."""
        stored, journals = RobustnessResult.load(self.files), self.files.journals()
        if journals:
            stored.save(self.files)
            for journal in journals:
                journal.remove()
            self.logger.info(f"{self.files.per_image}: merged {len(journals)} journal(s) of an unfinished run into it.")
        return stored

    def _result(self, engine: Engine) -> RobustnessResult:
        result = self._kept.merged(engine.state.robustness)
        result.checks = engine.state.robustness.checks  # judged on this run's rows, or none
        return result

    def save_batch(self, engine: Engine) -> None:
        """Save after a batch: the whole result (single process) or this rank's new rows (its journal)."""
        if idist.get_world_size() > 1:
            engine.state.robustness_run.save(self.files.journal(idist.get_rank()))
        elif idist.get_rank() == 0:
            self._result(engine).save(self.files)

    def __call__(self, engine: Engine) -> None:
        """Save the whole result and remove the journals (rank 0 only)."""
        if idist.get_rank() != 0:
            return
        self._result(engine).save(self.files)
        for journal in self.files.journals():
            journal.remove()
