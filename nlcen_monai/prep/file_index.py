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
"""Find the input files of a converter by name, with suffixes matched in any case (``.JPG`` = ``.jpg``).

File names are split with :func:`nlcen_monai.data.split_name`, as the bundles split theirs; the suffixes
a converter reads (:data:`SOURCE_SUFFIXES`) are not the ones a bundle reads
(:data:`nlcen_monai.data.IMAGE_SUFFIXES`): a converter also reads GIF and ITK's formats and writes PNG,
and JSRT's raw ``.IMG`` has a converter of its own.

Real data sets mix ``ISIC_1.jpg`` with ``ISIC_2.JPG`` and ``_Segmentation`` with ``_segmentation``;
every converter lists its folders through these helpers so that none of them silently skips a file
for the case of its name.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from nlcen_monai.data.suffixes import DICOM_SUFFIXES, split_name
from nlcen_monai.prep.image_io import RASTER_SUFFIXES

__all__ = ["SOURCE_SUFFIXES", "index_folder", "find_subfolder"]

SOURCE_SUFFIXES = RASTER_SUFFIXES + (".nii.gz", ".nii") + DICOM_SUFFIXES + (".nrrd", ".nhdr", ".mha", ".mhd")
"""Every suffix :func:`~nlcen_monai.prep.image_io.read_image_2d` reads: what a converter takes as input."""


def index_folder(folder: Path, suffixes: Sequence[str] = SOURCE_SUFFIXES) -> tuple[dict[str, Path], list[str]]:
    """Files of ``folder`` with one of ``suffixes`` (any case), by stem, and the names that clash.

    Hidden files are skipped. Two files with one stem (``a.png`` and ``a.jpg``) are a problem: the
    first in sorted order is kept and the other is reported.

    Args:
        folder: the folder to list (not recursively); a missing folder gives nothing.
        suffixes: lower-case suffixes to keep.
    """
    found: dict[str, Path] = {}
    problems: list[str] = []
    if not folder.is_dir():
        return found, problems
    for p in sorted(folder.iterdir()):
        parts = split_name(p, suffixes) if p.is_file() and not p.name.startswith(".") else None
        if parts is None:
            continue
        if parts[0] in found:
            problems.append(f"{p}: same name as {found[parts[0]]}; cannot tell which one to pair.")
            continue
        found[parts[0]] = p
    return found, problems


def find_subfolder(parent: Path, name: str) -> Path | None:
    """The sub-folder of ``parent`` called ``name``, compared in any case; ``None`` if there is none.

    Args:
        parent: the folder to look in.
        name: the expected folder name.
    """
    exact = parent / name
    if exact.is_dir():
        return exact
    matches = [p for p in sorted(parent.iterdir()) if p.is_dir() and p.name.lower() == name.lower()] if parent.is_dir() else []
    return matches[0] if matches else None
