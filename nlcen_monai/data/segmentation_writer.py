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
"""A dictionary transform that writes predicted masks as NIfTI and PNG and records the files in the item's metadata.

The inference bundles run it as postprocessing; :class:`nlcen_monai.handlers.WrittenFilesCSV` then
lists the recorded files in ``predictions.csv``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from monai.config import KeysCollection
from monai.data import MetaTensor
from monai.transforms import MapTransform, SaveImage

__all__ = ["WRITTEN_KEY", "SaveSegmentationd", "mask_column"]

WRITTEN_KEY = "written_files"
"""The metadata key under which :class:`SaveSegmentationd` records ``{column: path}`` of the files it wrote."""


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
    ``mask_nii``, ``mask_png``) for :class:`nlcen_monai.handlers.WrittenFilesCSV`.

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
