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
"""Ignite handler that lists, after an inference run, each input and the files written for it (``predictions.csv``)."""

from __future__ import annotations

import csv
import io
from collections.abc import Hashable
from pathlib import Path

from ignite.engine import Engine, Events

from nlcen_monai.data.segmentation_writer import WRITTEN_KEY
from nlcen_monai.utils.atomic import atomic_write_text

__all__ = ["WrittenFilesCSV"]


class WrittenFilesCSV:
    """Ignite handler: after the run, write output_file listing each input and the files written for it.

    Columns: ``image`` (the source file) then one column per written format, e.g.
    ``image,mask_nii,mask_png``. The CSV is written atomically, so a crash never leaves half of it.

    Args:
        output_file: path of the CSV.
        key: the output key whose metadata holds ``"written_files"`` (see :class:`~nlcen_monai.data.SaveSegmentationd`).
    """

    def __init__(self, output_file: str, key: Hashable = "pred") -> None:
        self.output_file = Path(output_file)
        self.key = key
        self.rows: list[dict] = []

    def attach(self, engine: Engine) -> None:
        engine.add_event_handler(Events.STARTED, lambda _: self.rows.clear())
        engine.add_event_handler(Events.ITERATION_COMPLETED, self._collect)
        engine.add_event_handler(Events.COMPLETED, self._write)

    def _collect(self, engine: Engine) -> None:
        outputs = engine.state.output if isinstance(engine.state.output, list) else [engine.state.output]
        for item in outputs:
            meta = item[self.key].meta
            self.rows.append({"image": str(meta.get("filename_or_obj", "")), **meta.get(WRITTEN_KEY, {})})

    def _write(self, _engine: Engine) -> None:
        columns = ["image"] + sorted({k for row in self.rows for k in row if k != "image"})
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(self.rows)
        atomic_write_text(self.output_file, buffer.getvalue())
