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
"""Print the clean DIC/JSC of several models as a markdown table, from their ``evaluate.json`` outputs.

Each ``NAME=DIR`` is a folder holding the ``metrics.csv`` of ``evaluate.json``'s ``MetricsSaver``
(e.g. ``runs/baselines/jsrt/cdnn/eval_clean``); a folder without one is left out.

Usage::

    python benchmarks/clean_table.py cdnn=runs/baselines/jsrt/cdnn/eval_clean cdnn_nlce=runs/baselines/jsrt/cdnn_nlce/eval_clean
"""

from __future__ import annotations

import argparse
import sys

from campaign_table import clean_scores  # benchmarks/ is on sys.path when this file runs as a script


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("folders", nargs="+", metavar="NAME=DIR", help="model name and its eval_clean folder")
    args = p.parse_args(argv)
    print("| model | clean DIC (all test images) | clean JSC |")
    print("|---|---:|---:|")
    for item in args.folders:
        name, sep, folder = item.partition("=")
        if not sep:
            p.error(f"expected NAME=DIR, got {item!r}")
        dice, jaccard = clean_scores(folder)
        if dice is not None:
            print(f"| {name} | {dice:.3f} | {'-' if jaccard is None else f'{jaccard:.3f}'} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
