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
"""Write predicted masks as NIfTI and PNG, and a CSV of every file written (inference bundles)."""

from __future__ import annotations

import csv
import io
from collections.abc import Hashable, Sequence
from pathlib import Path

import numpy as np
from ignite.engine import Engine, Events
from monai.config import KeysCollection
from monai.data import MetaTensor
from monai.transforms import MapTransform, SaveImage

from nlcen_monai.utils.atomic import atomic_write_text

__all__ = ["SaveSegmentationd", "WrittenFilesCSV", "mask_column"]

WRITTEN_KEY = "written_files"


def mask_column(ext: str) -> str:
    """The ``predictions.csv`` column of the masks written with suffix ``ext``: ``".nii.gz"`` -> ``"mask_nii"``.

    Args:
        ext: a file suffix such as ``".png"`` or ``".nii.gz"``.
    """
    return "mask_" + ext.lstrip(".").split(".")[0].lower()


class SaveSegmentationd(MapTransform):
    """Save each label map under keys once per format with MONAI's SaveImage.

    NIfTI keeps the label values (0, 1, ...); PNG is written as uint8 with the foreground at 255
    so that it is visible in any viewer. The written paths are recorded in the item's metadata
    under ``"written_files"`` as ``{column: path}`` (columns named by :func:`mask_column`:
    ``mask_nii``, ``mask_png``) for :class:`WrittenFilesCSV`.

    Args:
        keys: keys of the label maps to save (channel-first, one channel).
        output_dir: folder for the written files.
        output_postfix: appended to the input file name, e.g. case_seg.nii.gz.
        output_exts: file suffixes to write, each one a MONAI writer knows.
    """

    def __init__(
        self,
        keys: KeysCollection,
        output_dir: str,
        output_postfix: str = "seg",
        output_exts: Sequence[str] = (".nii.gz", ".png"),
    ) -> None:
        super().__init__(keys)
        self.savers = {
            ext: SaveImage(
                output_dir=output_dir,
                output_postfix=output_postfix,
                output_ext=ext,
                output_dtype=np.uint8,
                scale=255 if ext == ".png" else None,
                resample=False,
                separate_folder=False,
                print_log=False,
                savepath_in_metadict=True,
            )
            for ext in output_exts
        }

    def __call__(self, data: dict) -> dict:
        d = dict(data)
        for key in self.key_iterator(d):
            written = {}
            for ext, saver in self.savers.items():
                # a label map has one channel whatever the input had (an RGB input's metadata says
                # its channels were last, which would make the writers look for them)
                label = MetaTensor(d[key].as_tensor(), meta=dict(d[key].meta, original_channel_dim=float("nan")))
                saver(label)
                written[mask_column(ext)] = label.meta["saved_to"]
            d[key].meta[WRITTEN_KEY] = written
        return d


class WrittenFilesCSV:
    """Ignite handler: after the run, write output_file listing each input and the files written for it.

    Columns: ``image`` (the source file) then one column per written format, e.g.
    ``image,mask_nii,mask_png``. The CSV is written atomically, so a crash never leaves half of it.

    Args:
        output_file: path of the CSV.
        key: the output key whose metadata holds ``"written_files"`` (see :class:`SaveSegmentationd`).
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
