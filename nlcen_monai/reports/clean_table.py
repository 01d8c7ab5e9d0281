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
"""The clean DIC/JSC of several models as a markdown table, from their ``evaluate.json`` outputs.

Each ``NAME=DIR`` is a folder holding the ``metrics.csv`` of ``evaluate.json``'s ``MetricsSaver``
(e.g. ``runs/baselines/jsrt/cdnn/eval_clean``); a folder without one is left out::

    python -m nlcen_monai.reports.clean_table cdnn=runs/baselines/jsrt/cdnn/eval_clean \\
        cdnn_nlce=runs/baselines/jsrt/cdnn_nlce/eval_clean
"""

from __future__ import annotations

import csv
import os
import sys
from collections.abc import Mapping, Sequence

from nlcen_monai.reports.cli import named_folders, report_parser

__all__ = ["clean_scores", "clean_table", "main"]


def clean_scores(folder: os.PathLike | str) -> tuple[float | None, float | None]:
    """Clean (DIC, JSC) from the ``metrics.csv`` (``name,value`` lines) of ``evaluate.json``'s ``MetricsSaver``.

    Args:
        folder: the evaluation's output folder.

    Returns:
        ``val_mean_dice`` and ``val_mean_iou``, each None when absent (both when there is no ``metrics.csv``).
    """
    path = os.path.join(folder, "metrics.csv")
    if not os.path.isfile(path):
        return None, None
    with open(path, newline="", encoding="utf-8") as f:
        values = {row[0]: row[1] for row in csv.reader(f) if len(row) >= 2}
    dice, iou = values.get("val_mean_dice"), values.get("val_mean_iou")
    return (None if dice is None else float(dice)), (None if iou is None else float(iou))


def clean_table(folders: Mapping[str, os.PathLike | str]) -> list[str]:
    """The markdown lines of the table: one row per model whose folder holds a ``metrics.csv``, in order.

    Args:
        folders: ``{model name: its evaluation folder}``.
    """
    lines = ["| model | clean DIC (all test images) | clean JSC |", "|---|---:|---:|"]
    for name, folder in folders.items():
        dice, jaccard = clean_scores(folder)
        if dice is not None:
            lines.append(f"| {name} | {dice:.3f} | {'-' if jaccard is None else f'{jaccard:.3f}'} |")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: print the table of the ``NAME=DIR`` folders.

    Args:
        argv: the arguments (default: ``sys.argv[1:]``).
    """
    parser = report_parser("nlcen_monai.reports.clean_table", __doc__)
    parser.add_argument("folders", nargs="+", metavar="NAME=DIR", help="model name and its eval_clean folder")
    args = parser.parse_args(argv)
    print("\n".join(clean_table(named_folders(parser, args.folders))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
