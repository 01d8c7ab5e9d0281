#!/usr/bin/env python
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
"""Convert the ISBI 2016 skin-lesion set (ISIC challenge, Part 1) into a MONAI datalist.

Input layout under ``--isbi-dir`` (the complete set is 900 training and 379 test pairs; a split whose
two folders are both absent is skipped, so the training or the test half alone works)::

    ISBI2016_ISIC_Part1_Training_Data/ISIC_<id>.jpg
    ISBI2016_ISIC_Part1_Training_GroundTruth/ISIC_<id>_Segmentation.png   (0/255)
    ISBI2016_ISIC_Part1_Test_Data/ISIC_<id>.jpg
    ISBI2016_ISIC_Part1_Test_GroundTruth/ISIC_<id>_Segmentation.png

Folder names, suffixes and ``_Segmentation`` are matched in any case (``ISIC_<id>.JPG``, ``.jpeg``,
and the ISIC 2017 spelling ``_segmentation.png`` are found); other files (e.g. ISIC's
``_superpixels.png``) are ignored. Images of any size and aspect ratio are resized to ``--size`` x
``--size`` (stretched, as in the paper); grey JPEGs are made RGB and named in the summary.

Output: ``images/ISIC_<id>.png`` (RGB, 0..255), ``masks/ISIC_<id>.png`` (0/1) and ``datalist.json``
with the challenge's own training/test split.

Masks must be binary (0/255, 0/1, 0/65535, boolean) unless ``--mask-threshold T`` is given; empty or full masks and
constant images are rejected. Bad cases are reported by file name, the others are converted, and the
exit status is 1.

Example (from the repository root)::

    python data_prep/isbi2016.py --isbi-dir ISBI2016/ --out data/isbi2016
    python data_prep/isbi2016.py --isbi-dir ../shared/data/isic2017_val150 --out /tmp/isic128 --size 128
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from nlcen_monai.data.conversion import Case, ConversionResult, add_mask_arguments, add_output_arguments, fail, run_conversion
from nlcen_monai.data.dataset_writer import DatasetWriter
from nlcen_monai.data.file_index import find_subfolder, index_folder
from nlcen_monai.data.pair_reader import PairReader

__all__ = ["SPLIT_FOLDERS", "expected_folders", "list_isbi_cases", "main"]

SPLIT_FOLDERS = {"training": "Training", "test": "Test"}
KINDS = ("Data", "GroundTruth")
IMAGE_SUFFIXES = (".jpg", ".jpeg")
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
    images, problems = index_folder(data_dir, IMAGE_SUFFIXES)
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


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = argparse.ArgumentParser(
        prog="python data_prep/isbi2016.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--isbi-dir", type=Path, required=True, help="folder holding the ISBI2016_ISIC_Part1_* folders")
    add_mask_arguments(parser)
    add_output_arguments(parser)
    return parser


def convert(args: argparse.Namespace) -> ConversionResult:
    """Run the conversion described by parsed command-line ``args``."""
    if not args.isbi_dir.is_dir():
        return fail(f"{args.isbi_dir}: folder not found.")
    reader = PairReader(3, args.mask_threshold, channels_reason="ISBI images are RGB")
    cases, problems = list_isbi_cases(args.isbi_dir, reader)
    writer = DatasetWriter(
        args.out,
        size=args.size,
        name="ISBI2016",
        description=f"ISBI 2016 (ISIC) Part 1 lesion segmentation from {args.isbi_dir}; challenge split.",
        labels={"0": "background", "1": "lesion"},
    )
    return run_conversion(cases, writer, problems, source=str(args.isbi_dir), reader=reader)


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv``, convert, return the exit status (non-zero when any case was bad)."""
    return convert(build_parser().parse_args(argv)).exit_code


if __name__ == "__main__":
    sys.exit(main())
