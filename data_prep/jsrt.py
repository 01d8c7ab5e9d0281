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
"""Convert JSRT chest radiographs + SCR lung masks into a MONAI datalist (images/, masks/, datalist.json).

Two input layouts:

* original: ``--jsrt-dir`` holding ``<case>.IMG`` (2048 x 2048, unsigned 16-bit big-endian, 12 bits
  used, no header) and ``--scr-dir`` holding the SCR masks
  ``fold1|fold2/masks/{left lung,right lung}/<case>.gif`` (1024 x 1024, 0/255);
* PNG: ``--png-dir`` holding ``images/<case>.png`` and ``masks/<case>.png`` (masks 0/1 or 0/255).

Lung = left OR right. Split (SCR folds): odd case numbers (the 3 digits of JPCLN001 / JPCNN001)
for training (124 cases), even for test (123). Display polarity is checked on every case against
its mask (lungs must be darker than the rest) and inverted when it is not. Suffixes are matched in
any case (``.png``/``.PNG``, ``.gif``/``.GIF``, ``.IMG``/``.img``).

Images must be grey (an RGB file with three equal channels is accepted and named in the summary).
Masks must be binary unless ``--mask-threshold T`` is given; empty or full masks and constant images
are rejected. Bad cases are reported by file name, the others are converted, and the exit status is 1.

Example (from the repository root)::

    python data_prep/jsrt.py --png-dir ../shared/data/jsrt_png --out /tmp/jsrt
    python data_prep/jsrt.py --jsrt-dir JSRT/ --scr-dir SCR/ --out data/jsrt --size original
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from nlcen_monai.data.jsrt_raw import JSRT_SHAPE
from nlcen_monai.prep.cli import add_mask_arguments, add_output_arguments
from nlcen_monai.prep.jsrt import convert_jsrt

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = argparse.ArgumentParser(
        prog="python data_prep/jsrt.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    layout = parser.add_mutually_exclusive_group(required=True)
    layout.add_argument("--png-dir", type=Path, help="PNG layout: folder with images/<case>.png and masks/<case>.png")
    layout.add_argument("--jsrt-dir", type=Path, help="original layout: folder with <case>.IMG (needs --scr-dir)")
    parser.add_argument("--scr-dir", type=Path, help="SCR folder with fold1|fold2/masks/{left lung,right lung}/<case>.gif")
    parser.add_argument(
        "--img-size",
        type=int,
        nargs="+",
        default=list(JSRT_SHAPE),
        metavar="N",
        help="rows [columns] of each .IMG file (JSRT: 2048 2048; smaller only for test fixtures)",
    )
    add_mask_arguments(parser)
    add_output_arguments(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv``, convert, return the exit status (non-zero when any case was bad)."""
    return convert_jsrt(**vars(build_parser().parse_args(argv))).exit_code


if __name__ == "__main__":
    sys.exit(main())
