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
"""Convert any folder of image/mask pairs (PNG, JPEG, BMP, TIFF, NIfTI, DICOM, ...) into a MONAI datalist.

Pairs are matched by name: ``<name><ext>`` with ``<name><mask-suffix><ext2>``, either in one folder
(e.g. ``case1.png`` + ``case1_mask.png``, the default suffix ``_mask``) or in separate folders
(``--mask-dir``, where the suffix defaults to nothing: ``images/case1.png`` + ``masks/case1.png``).
Suffixes are matched in any case (``.PNG``, ``.Jpg``). Raster formats are read with PIL (by content, so
a JPEG named ``.png`` is read as the JPEG it is), NIfTI with nibabel, the others (DICOM, NRRD,
MetaImage) with ITK. Images that are not 8-bit are stretched linearly from their own min..max to 0..255.
The train/test split is random and seeded (MONAI's ``partition_dataset``); ``--test-fraction 1.0`` puts
every pair in "test" (an external validation set for a trained model: "training" stays empty).

Channels: every written image has the same channel count: ``--channels``, or else the count most
images have (grey or RGB; RGB on a tie). The other images are converted (grey repeated to RGB, RGB
to grey luma) and named in the summary.

Masks must be binary (0/1, 0/255, 0/65535, boolean) unless ``--mask-threshold T`` is given (e.g.
hand-drawn masks with soft edges). An RGBA mask with constant colour is read from its alpha channel.
Empty or full masks and constant images are rejected. Bad cases are reported by file name, the others
are converted, and the exit status is 1.

Example (from the repository root)::

    python data_prep/folder.py --image-dir scans/ --mask-suffix _seg --test-fraction 0.2 --seed 0 --out data/mine
    python data_prep/folder.py --image-dir imgs/ --mask-dir labels/ --out data/mine --channels 1
    python data_prep/folder.py --image-dir cxr/ --mask-suffix @ --mask-threshold 0 --out data/cxr
    python data_prep/folder.py --image-dir imgs/ --mask-dir labels/ --test-fraction 1.0 --size 128 --out data/external
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from nlcen_monai.prep.cli import add_mask_arguments, add_output_arguments
from nlcen_monai.prep.folder import convert_folder

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = argparse.ArgumentParser(
        prog="python data_prep/folder.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--image-dir", type=Path, required=True, help="folder of images (and masks, without --mask-dir)")
    parser.add_argument("--mask-dir", type=Path, default=None, help="separate folder of masks (optional)")
    parser.add_argument(
        "--mask-suffix", default=None, help="mask name = image name + this (default '_mask', or '' with --mask-dir)"
    )
    parser.add_argument("--test-fraction", type=float, default=0.2, help="fraction of pairs in the test split, 0 to 1 (default 0.2; 1: every pair a test case, for evaluating "
        "a trained model on your own labelled images)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random split (default 0)")
    parser.add_argument(
        "--channels",
        type=int,
        choices=(1, 3),
        default=None,
        help="convert every image to 1 (grey) or 3 (RGB) channels (default: the count most images have, RGB on a "
        "tie; the images converted are named in the summary)",
    )
    add_mask_arguments(parser)
    add_output_arguments(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv``, convert, return the exit status (non-zero when any case was bad)."""
    return convert_folder(**vars(build_parser().parse_args(argv))).exit_code


if __name__ == "__main__":
    sys.exit(main())
