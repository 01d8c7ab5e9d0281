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

from nlcen_monai.prep.cli import add_mask_arguments, add_output_arguments
from nlcen_monai.prep.isbi2016 import convert_isbi2016

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = argparse.ArgumentParser(
        prog="python data_prep/isbi2016.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--isbi-dir", type=Path, required=True, help="folder holding the ISBI2016_ISIC_Part1_* folders")
    add_mask_arguments(parser)
    add_output_arguments(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv``, convert, return the exit status (non-zero when any case was bad)."""
    return convert_isbi2016(**vars(build_parser().parse_args(argv))).exit_code


if __name__ == "__main__":
    sys.exit(main())
