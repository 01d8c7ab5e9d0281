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
"""Write a seeded synthetic dataset (chest or skin-lesion phantoms) in the converters' output format.

Same layout as the other converters (``images/``, ``masks/``, ``datalist.json``), so every bundle
runs on a fresh machine with no download. Re-running with the same arguments does nothing.

Example (from the repository root)::

    python data_prep/synthetic.py --kind chest --num-train 32 --num-test 16 --size 256 --seed 0 --out data/synthetic_chest
"""

from __future__ import annotations

import argparse
import sys
import time

from nlcen_monai.prep.cli import parse_size
from nlcen_monai.prep.synthetic import SYNTHETIC_KINDS, make_synthetic_dataset

__all__ = ["main"]


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = argparse.ArgumentParser(
        prog="python data_prep/synthetic.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", required=True, help="output folder (images/, masks/, datalist.json)")
    parser.add_argument("--kind", choices=sorted(SYNTHETIC_KINDS), default="chest", help="phantom kind (default chest)")
    parser.add_argument("--num-train", type=int, default=32, help="training cases (default 32)")
    parser.add_argument("--num-test", type=int, default=16, help="test cases (default 16)")
    parser.add_argument("--size", type=parse_size, default=256, help="side length in pixels (default 256)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` and write the dataset; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.size is None:
        parser.error("--size must be a number of pixels for synthetic data.")
    start = time.perf_counter()
    try:
        datalist = make_synthetic_dataset(args.out, args.num_train, args.num_test, args.size, args.seed, args.kind)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"{args.num_train} training + {args.num_test} test {args.kind} phantoms in {time.perf_counter() - start:.1f} s; datalist: {datalist}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
