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
"""Ignite handler that lists, after an inference run, each input, its status, its quality flags and the files
written for it (``predictions.csv``)."""

from __future__ import annotations

import csv
import io
from collections.abc import Hashable, Sequence
from pathlib import Path

from ignite.engine import Engine, Events

from nlcen_monai.data.segmentation_writer import WRITTEN_KEY
from nlcen_monai.inference.quality import MEASURES, QUALITY_KEY
from nlcen_monai.inference.screening import STATUS_OK
from nlcen_monai.utils.atomic import atomic_write_text

__all__ = ["WrittenFilesCSV"]


class WrittenFilesCSV:
    """Ignite handler: after the run, write output_file listing each input, its status and the files written for it.

    Columns: ``image`` (the source file), ``status`` (``ok``, or ``failed: <reason>`` for an input that
    could not be read, given as ``failures``), the quality flag and measures when the items carry them
    (``item["quality"]``: ``quality``, ``lung_fraction``, ``components``, ``left_right_balance``,
    ``uncertain_fraction``; see :class:`~nlcen_monai.inference.MaskQualityd`), then one column per
    written format, e.g. ``mask_nii,mask_png``. Rows are sorted by input file. The CSV is written atomically, so a crash never leaves half of it.

    Args:
        output_file: path of the CSV.
        key: the output key whose metadata holds ``"written_files"`` (see :class:`~nlcen_monai.data.SaveSegmentationd`).
        failures: rows ``{"image": path, "status": "failed: ..."}`` of the inputs that were not segmented
            (:attr:`nlcen_monai.inference.ScreenedImages.failures`).
    """

    def __init__(self, output_file: str, key: Hashable = "pred", failures: Sequence[dict] = ()) -> None:
        self.output_file = Path(output_file)
        self.key = key
        self.failures = failures
        self.rows: list[dict] = []

    def attach(self, engine: Engine) -> None:
        engine.add_event_handler(Events.STARTED, lambda _: self.rows.clear())
        engine.add_event_handler(Events.ITERATION_COMPLETED, self._collect)
        engine.add_event_handler(Events.COMPLETED, lambda _: self.write())

    def _collect(self, engine: Engine) -> None:
        outputs = engine.state.output if isinstance(engine.state.output, list) else [engine.state.output]
        for item in outputs:
            meta = item[self.key].meta
            row = {"image": str(meta.get("filename_or_obj", "")), "status": STATUS_OK}
            self.rows.append({**row, **item.get(QUALITY_KEY, {}), **meta.get(WRITTEN_KEY, {})})

    def write(self) -> None:
        """Write the CSV of the rows collected so far and the failures (also when the engine never ran)."""
        rows = sorted([*self.rows, *self.failures], key=lambda row: row["image"])
        present = {k for row in rows for k in row}
        leading = ["image", "status"] + [k for k in (QUALITY_KEY, *MEASURES) if k in present]
        columns = leading + sorted(present - set(leading))
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        atomic_write_text(self.output_file, buffer.getvalue())
