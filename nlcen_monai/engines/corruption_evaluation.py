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
"""The corruption evaluation: a trained network's Dice on the test images under every corruption and severity.

:class:`CorruptionEvaluation` loads and preprocesses each test image once (the bundle's own evaluation
chain: load, check, resize to the network's size), then, for the clean images and every (corruption,
severity) unit, corrupts every image with :class:`~nlcen_monai.robustness.corruptions.Corrupt` (seeded per
image by :func:`~nlcen_monai.robustness.corruptions.image_seed`), runs the network through the inferer in
batches and scores each prediction with :func:`~nlcen_monai.metrics.per_image_scores` (MONAI's Dice and
Jaccard, as the bundles' evaluation computes them). After each unit it rewrites, atomically, the per-image
record ``per_image.csv`` and its ``summary.json`` (mean, 95 % bootstrap interval and n per unit) in
``output_dir``, so that a killed run loses at most one unit and a rerun skips the units already recorded
(``resume``); at the end it draws mean score against severity (``corruptions.png``). Progress (images scored of images x units, elapsed time, time left) is logged at least every
``progress_interval_s`` through :class:`~nlcen_monai.handlers.ProgressLog`.

Bundles build it from ``configs/corruptions.json`` stacked over ``train.json`` and ``evaluate.json``.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
import torch.nn as nn
from monai.inferers import Inferer, SimpleInferer
from monai.utils import convert_to_tensor

from nlcen_monai.data.suffixes import case_id
from nlcen_monai.handlers.progress_log import ProgressLog, format_seconds
from nlcen_monai.metrics import per_image_scores
from nlcen_monai.robustness.corruption_record import (
    CLEAN,
    DECIMALS,
    RECORD_FILE,
    SUMMARY_FILE,
    complete_units,
    read_corruption_record,
    summarise_corruptions,
    write_corruption_record,
    write_corruption_summary,
)
from nlcen_monai.robustness.corruptions import Corrupt, corruption_names, corruption_values, image_seed

__all__ = ["CorruptionEvaluation"]

logger = logging.getLogger(__name__)


class CorruptionEvaluation:
    """Score ``network`` on ``data`` clean and under every corruption and severity; write the record and summary.

    Args:
        network: the trained network (put in eval mode here), on ``device``.
        data: the test items, dicts with ``"image"`` and ``"label"`` (e.g. a bundle's ``test_list``).
        preprocessing: the transform that loads one item and gives the network's input, pixels in [0, 255]
            (a bundle's ``validate#preprocessing``); the corruptions act on its output.
        output_dir: where ``per_image.csv`` and ``summary.json`` are written.
        corruptions: the names of the corruptions to run, or a mapping of names to the parameter values of
            their severities 1, 2, ...; None: every one of
            :data:`~nlcen_monai.robustness.corruptions.CORRUPTIONS` with its table's values.
        severities: the severities to run (>= 1); the clean images (severity 0) are always scored.
        num_classes: the network's output classes.
        device: where the network runs.
        seed: the run's seed, from which each image's corruption seed is derived.
        batch_size: images per forward pass.
        inferer: how the network is run (default: MONAI's ``SimpleInferer``).
        resume: keep the units already in ``output_dir``'s record (same images, same parameter values) and
            compute only the others; False computes every unit again.
        confidence: the coverage of the summary's bootstrap intervals.
        n_boot: bootstrap resamples per interval.
        progress_interval_s: the longest time between two progress lines, in seconds.
        case_key: the item key whose path names an image in the record.
        figure: the file name, in ``output_dir``, of the figure of mean score against severity (drawn at the
            end of a run); None draws none.
    """

    def __init__(
        self,
        network: nn.Module,
        data: Sequence[Mapping[str, Any]],
        preprocessing: Callable[[dict], Mapping[str, Any]],
        output_dir: os.PathLike | str,
        corruptions: Sequence[str] | Mapping[str, Sequence[float]] | None = None,
        severities: Sequence[int] = (1, 2, 3, 4, 5),
        num_classes: int = 2,
        device: str | torch.device = "cpu",
        seed: int = 0,
        batch_size: int = 8,
        inferer: Inferer | None = None,
        resume: bool = True,
        confidence: float = 0.95,
        n_boot: int = 10000,
        progress_interval_s: float = 60.0,
        case_key: str = "image",
        figure: str | None = "corruptions.png",
    ) -> None:
        if not data:
            raise ValueError("the corruption evaluation needs at least one test item.")
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}.")
        self.network = network
        self.data = list(data)
        self.preprocessing = preprocessing
        self.output_dir = Path(output_dir)
        self.values = self._values(corruptions)
        self.severities = sorted({int(s) for s in severities} - {0})
        for name, values in self.values.items():
            bad = [s for s in self.severities if not 1 <= s <= len(values)]
            if bad:
                raise ValueError(f"'{name}' has {len(values)} severities; severities {bad} are out of range.")
        self.num_classes = int(num_classes)
        self.device = torch.device(device)
        self.seed = int(seed)
        self.batch_size = int(batch_size)
        self.inferer = SimpleInferer() if inferer is None else inferer
        self.resume = bool(resume)
        self.confidence, self.n_boot = float(confidence), int(n_boot)
        self.progress_interval_s = float(progress_interval_s)
        self.figure = figure
        self.cases = [case_id(item[case_key]) for item in self.data]
        repeated = sorted({c for c in self.cases if self.cases.count(c) > 1})
        if repeated:
            raise ValueError(f"the test items must have distinct file names; repeated: {repeated}.")

    @staticmethod
    def _values(corruptions: Sequence[str] | Mapping[str, Sequence[float]] | None) -> dict[str, tuple[float, ...]]:
        """The parameter values of every corruption to run, by name."""
        names = corruption_names(corruptions)
        given = corruptions if isinstance(corruptions, Mapping) else {}
        return {name: corruption_values(name, given.get(name)) for name in names}

    @property
    def record_path(self) -> Path:
        """The per-image record, ``output_dir/per_image.csv``."""
        return self.output_dir / RECORD_FILE

    @property
    def summary_path(self) -> Path:
        """The summary, ``output_dir/summary.json``."""
        return self.output_dir / SUMMARY_FILE

    def units(self) -> dict[tuple[str, int], float | None]:
        """Every planned (corruption, severity) unit with its parameter value: the clean one first."""
        planned: dict[tuple[str, int], float | None] = {(CLEAN, 0): None}
        for name, values in self.values.items():
            planned.update({(name, s): values[s - 1] for s in self.severities})
        return planned

    def run(self) -> dict[str, Any]:
        """Score every unit not yet recorded; write the record and the summary after each one.

        Returns:
            the summary (as written to ``summary.json``).
        """
        started = time.monotonic()
        planned = self.units()
        rows = read_corruption_record(self.record_path) if self.resume else []
        done = complete_units(rows, self.cases, planned)
        # a planned unit not complete is computed again in full: drop its partial or stale rows
        rows = [r for r in rows if (r["corruption"], r["severity"]) in done or (r["corruption"], r["severity"]) not in planned]
        todo = [unit for unit in planned if unit not in done]
        total = len(planned) * len(self.cases)
        logger.info(
            f"corruption evaluation: {len(planned)} units ({len(self.values)} corruptions x {len(self.severities)} "
            f"severities + clean) x {len(self.cases)} images; {len(done)} units already in {self.record_path}."
        )
        progress = ProgressLog(interval_s=self.progress_interval_s, unit="images", logger_name=__name__)
        progress.start(total)
        scored = len(done) * len(self.cases)
        progress.update(scored)
        try:
            if todo:
                images, labels = self._load()
                self.network.eval()
                for corruption, severity in todo:
                    for start in range(0, len(self.cases), self.batch_size):
                        stop = min(len(self.cases), start + self.batch_size)
                        rows += self._score(corruption, severity, planned[(corruption, severity)], images, labels, start, stop)
                        scored += stop - start
                        progress.update(scored)
                    write_corruption_record(self.record_path, rows)
                    self._write_summary(rows)
        finally:
            progress.complete()
        summary = self._write_summary(rows)
        if self.figure:
            from nlcen_monai.visualize.corruption_curves import plot_corruption_curves  # matplotlib only when drawing

            plot_corruption_curves(summary, self.output_dir / self.figure, title="corruptions")
        logger.info(f"corruption evaluation: record and summary in {self.output_dir} ({format_seconds(time.monotonic() - started)}).")
        return summary

    def _write_summary(self, rows: list[dict[str, Any]]) -> dict[str, Any]:
        summary = summarise_corruptions(rows, confidence=self.confidence, n_boot=self.n_boot, seed=0)
        write_corruption_summary(self.summary_path, summary)
        return summary

    def _load(self) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """Every test image and label through the preprocessing, once, as plain tensors."""
        images, labels = [], []
        for item in self.data:
            loaded = self.preprocessing(dict(item))
            images.append(convert_to_tensor(loaded["image"], dtype=torch.float32, track_meta=False))
            labels.append(convert_to_tensor(loaded["label"], dtype=torch.float32, track_meta=False))
        return images, labels

    def _score(
        self,
        corruption: str,
        severity: int,
        parameter: float | None,
        images: list[torch.Tensor],
        labels: list[torch.Tensor],
        start: int,
        stop: int,
    ) -> list[dict[str, Any]]:
        """The record rows of images ``start:stop`` under one unit."""
        values = self.values.get(corruption)
        batch = []
        for i in range(start, stop):
            if corruption == CLEAN:
                batch.append(images[i])
            else:
                seed = image_seed(self.seed, self.cases[i], corruption)
                batch.append(Corrupt(corruption, severity, seed=seed, values=values)(images[i]))
        inputs = torch.stack(batch).to(self.device)
        with torch.no_grad():
            logits = self.inferer(inputs, self.network)
        pred = logits.argmax(dim=1, keepdim=True)
        dice, jaccard = per_image_scores(pred, torch.stack(labels[start:stop]).to(self.device), self.num_classes)
        return [
            {
                "case": self.cases[i],
                "corruption": corruption,
                "severity": severity,
                "parameter": parameter,
                "dice": round(float(d), DECIMALS),  # as the record keeps it, so the summary is the file's
                "jaccard": round(float(j), DECIMALS),
            }
            for i, d, j in zip(range(start, stop), dice.tolist(), jaccard.tolist())
        ]
