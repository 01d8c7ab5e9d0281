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

Input layout under ``--isbi-dir`` (any subset works; the complete set is 900 training and 379
test pairs)::

    ISBI2016_ISIC_Part1_Training_Data/ISIC_<id>.jpg
    ISBI2016_ISIC_Part1_Training_GroundTruth/ISIC_<id>_Segmentation.png   (0/255)
    ISBI2016_ISIC_Part1_Test_Data/ISIC_<id>.jpg
    ISBI2016_ISIC_Part1_Test_GroundTruth/ISIC_<id>_Segmentation.png

Output: ``images/ISIC_<id>.png`` (RGB, 0..255), ``masks/ISIC_<id>.png`` (0/1) and ``datalist.json``
with the challenge's own training/test split.

Example (from the repository root)::

    python data_prep/isbi2016.py --isbi-dir ISBI2016/ --out data/isbi2016
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from nlcen_monai.data.conversion import Case, ConversionResult, add_output_arguments, run_conversion
from nlcen_monai.data.dataset_writer import DatasetWriter
from nlcen_monai.data.image_io import read_image_2d, read_mask_2d, to_uint8
from nlcen_monai.data.validation import check_pair_shapes

__all__ = ["SPLIT_FOLDERS", "list_isbi_cases", "main"]

SPLIT_FOLDERS = {"training": "Training", "test": "Test"}
MASK_SUFFIX = "_Segmentation"


def load_rgb_pair(image_path: Path, mask_path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Read an image as uint8 RGB (a grey image is repeated over 3 channels) and its binary mask.

    Args:
        image_path: the image file.
        mask_path: its mask file (0/255 or 0/1).
    """
    image = to_uint8(read_image_2d(image_path), image_path)
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=-1)
    mask = read_mask_2d(mask_path)
    check_pair_shapes(image.shape, mask.shape, image_path, mask_path)
    return image, mask


def list_isbi_cases(isbi_dir: Path) -> tuple[list[Case], list[str]]:
    """Cases found under ``isbi_dir`` and the pairing problems (missing or extra masks).

    Args:
        isbi_dir: the folder holding the ``ISBI2016_ISIC_Part1_*`` folders.
    """
    cases: list[Case] = []
    problems: list[str] = []
    for split, folder in SPLIT_FOLDERS.items():
        data_dir = isbi_dir / f"ISBI2016_ISIC_Part1_{folder}_Data"
        truth_dir = isbi_dir / f"ISBI2016_ISIC_Part1_{folder}_GroundTruth"
        images = {p.stem: p for p in sorted(data_dir.glob("ISIC_*.jpg"))}
        masks = {p.stem[: -len(MASK_SUFFIX)]: p for p in sorted(truth_dir.glob(f"ISIC_*{MASK_SUFFIX}.png"))}
        problems += [f"{masks[n]}: mask without an image (expected {data_dir / (n + '.jpg')})." for n in sorted(masks.keys() - images.keys())]
        for name, image_path in images.items():
            if name not in masks:
                problems.append(f"{image_path}: no mask (expected {truth_dir / (name + MASK_SUFFIX + '.png')}).")
                continue
            cases.append(Case(name, split, lambda i=image_path, m=masks[name]: load_rgb_pair(i, m)))
    return cases, problems


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = argparse.ArgumentParser(
        prog="python data_prep/isbi2016.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--isbi-dir", type=Path, required=True, help="folder holding the ISBI2016_ISIC_Part1_* folders")
    add_output_arguments(parser)
    return parser


def convert(args: argparse.Namespace) -> ConversionResult:
    """Run the conversion described by parsed command-line ``args``."""
    if not args.isbi_dir.is_dir():
        message = f"{args.isbi_dir}: folder not found."
        print(f"error: {message}", file=sys.stderr)
        return ConversionResult(problems=[message])
    cases, problems = list_isbi_cases(args.isbi_dir)
    writer = DatasetWriter(
        args.out,
        size=args.size,
        name="ISBI2016",
        description=f"ISBI 2016 (ISIC) Part 1 lesion segmentation from {args.isbi_dir}; challenge split.",
        labels={"0": "background", "1": "lesion"},
    )
    return run_conversion(cases, writer, problems)


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv``, convert, return the exit status (non-zero when any case was bad)."""
    return convert(build_parser().parse_args(argv)).exit_code


if __name__ == "__main__":
    sys.exit(main())
