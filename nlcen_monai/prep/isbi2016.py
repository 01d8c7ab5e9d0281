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
"""The ISBI 2016 (ISIC) Part 1 layout as converter cases: the four challenge folders, JPEG images, PNG masks.

``ISBI2016_ISIC_Part1_{Training,Test}_{Data,GroundTruth}`` hold ``<name>.jpg`` and
``<name>_Segmentation.png``; folder and file names are matched in any case, and a misnamed folder
is reported once, with the names expected and found. ``data_prep/isbi2016.py`` is the command line.
"""

from __future__ import annotations

from pathlib import Path

from nlcen_monai.prep.conversion import Case, ConversionResult, fail, run_conversion
from nlcen_monai.prep.dataset_writer import DatasetWriter
from nlcen_monai.prep.file_index import find_subfolder, index_folder
from nlcen_monai.prep.pair_reader import PairReader

__all__ = ["SPLIT_FOLDERS", "expected_folders", "list_isbi_cases", "convert_isbi2016"]

SPLIT_FOLDERS = {"training": "Training", "test": "Test"}
KINDS = ("Data", "GroundTruth")
ISIC_IMAGE_SUFFIXES = (".jpg", ".jpeg")
"""The challenge's own image naming: every ISIC image is a JPEG (the masks are PNG)."""
MASK_SUFFIX = "_Segmentation"


def expected_folders(split: str) -> dict[str, str]:
    """The two folder names of a split, by kind (``"Data"``, ``"GroundTruth"``).

    Args:
        split: ``"training"`` or ``"test"``.
    """
    return {kind: f"ISBI2016_ISIC_Part1_{SPLIT_FOLDERS[split]}_{kind}" for kind in KINDS}


def _layout(isbi_dir: Path) -> str:
    """Which folders were expected under ``isbi_dir`` and which were found, for a message."""
    expected = [name for split in SPLIT_FOLDERS for name in expected_folders(split).values()]
    found = sorted(p.name for p in isbi_dir.iterdir() if p.is_dir())
    return f"expected the folders {', '.join(expected)} under {isbi_dir}; found {', '.join(found) or 'no folder'}."


def _list_split(split: str, data_dir: Path, truth_dir: Path, reader: PairReader) -> tuple[list[Case], list[str]]:
    """Cases of one split whose two folders exist, and its pairing problems."""
    images, problems = index_folder(data_dir, ISIC_IMAGE_SUFFIXES)
    mask_files, clashes = index_folder(truth_dir, (".png",))
    problems += clashes
    masks = {n[: -len(MASK_SUFFIX)]: p for n, p in mask_files.items() if n.lower().endswith(MASK_SUFFIX.lower())}
    problems += [
        f"{p}: not a mask name (expected <image name>{MASK_SUFFIX}.png)."
        for n, p in mask_files.items()
        if not n.lower().endswith(MASK_SUFFIX.lower())
    ]
    problems += [
        f"{masks[n]}: mask without an image (expected {data_dir / (n + '.jpg')})." for n in sorted(masks.keys() - images.keys())
    ]
    cases = []
    for name, image_path in images.items():
        if name not in masks:
            problems.append(f"{image_path}: no mask (expected {truth_dir / (name + MASK_SUFFIX + '.png')}).")
            continue
        cases.append(Case(name, split, lambda i=image_path, m=masks[name]: reader.pair(i, m)))
    return cases, problems


def list_isbi_cases(isbi_dir: Path, reader: PairReader | None = None) -> tuple[list[Case], list[str]]:
    """Cases found under ``isbi_dir`` and the pairing problems (missing folders, missing or extra masks).

    A split with one of its two folders missing (e.g. a misnamed ``..._Training_Data``) is one
    problem naming the missing folder, not one per file of the other folder.

    Args:
        isbi_dir: the folder holding the ``ISBI2016_ISIC_Part1_*`` folders.
        reader: reads the pairs (default: RGB images, binary masks).
    """
    reader = reader or PairReader(3, channels_reason="ISBI images are RGB")
    cases: list[Case] = []
    problems: list[str] = []
    splits_found = 0
    for split in SPLIT_FOLDERS:
        names = expected_folders(split)
        data_dir, truth_dir = (find_subfolder(isbi_dir, names[kind]) for kind in KINDS)
        if data_dir is None and truth_dir is None:
            continue
        splits_found += 1
        if data_dir is None or truth_dir is None:
            missing, present = (names["Data"], truth_dir) if data_dir is None else (names["GroundTruth"], data_dir)
            problems.append(
                f"{isbi_dir / missing}: folder not found, so the {split} files in {present} were not converted; "
                + _layout(isbi_dir)
            )
            continue
        split_cases, split_problems = _list_split(split, data_dir, truth_dir, reader)
        cases += split_cases
        problems += split_problems
    if splits_found == 0:
        problems.append(f"{isbi_dir}: no ISBI 2016 folder found; " + _layout(isbi_dir))
    return cases, problems


def convert_isbi2016(
    out: Path | str, isbi_dir: Path | str, size: int | None = 256, mask_threshold: float | None = None
) -> ConversionResult:
    """Convert the ISBI 2016 folders under ``isbi_dir`` into ``out`` (the challenge's split).

    Args:
        out: the output folder (``images/``, ``masks/``, ``datalist.json``).
        isbi_dir: the folder holding the ``ISBI2016_ISIC_Part1_*`` folders.
        size: side of the square output images, or ``None`` to keep each image's size.
        mask_threshold: ``None`` for binary masks, else foreground = value > ``mask_threshold``.
    """
    isbi_dir = Path(isbi_dir)
    if not isbi_dir.is_dir():
        return fail(f"{isbi_dir}: folder not found.")
    reader = PairReader(3, mask_threshold, channels_reason="ISBI images are RGB")
    cases, problems = list_isbi_cases(isbi_dir, reader)
    writer = DatasetWriter(
        out,
        size=size,
        name="ISBI2016",
        description=f"ISBI 2016 (ISIC) Part 1 lesion segmentation from {isbi_dir}; challenge split.",
        labels={"0": "background", "1": "lesion"},
    )
    return run_conversion(cases, writer, problems, source=str(isbi_dir), reader=reader)
