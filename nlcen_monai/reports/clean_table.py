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
(e.g. ``runs/baselines/jsrt/cdnn/eval_clean``); a folder without one is left out. Each mean carries n and its
95 % bootstrap interval over the images, from the per-image scores the same ``MetricsSaver`` writes beside it
(``val_mean_dice_raw.csv``, ``val_mean_iou_raw.csv``); a folder without them (an older evaluation) gives the
mean alone, and a line below the table says so::

    python -m nlcen_monai.reports.clean_table cdnn=runs/baselines/jsrt/cdnn/eval_clean \\
        cdnn_nlce=runs/baselines/jsrt/cdnn_nlce/eval_clean
"""

from __future__ import annotations

import csv
import math
import os
import sys
from collections.abc import Mapping, Sequence

from nlcen_monai.metrics import mean_interval
from nlcen_monai.reports.cli import named_folders, report_parser
from nlcen_monai.reports.figures import Figure, MissingIntervals

__all__ = ["clean_figures", "clean_scores", "clean_table", "per_image_values", "main"]


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


def per_image_values(folder: os.PathLike | str, metric: str) -> list[float] | None:
    """The per-image scores of ``metric`` in ``folder/<metric>_raw.csv`` (``MetricsSaver``'s ``metric_details``).

    Args:
        folder: the evaluation's output folder.
        metric: e.g. ``val_mean_dice``.

    Returns:
        each image's ``mean`` over the classes, NaN left out (an image MONAI's mean leaves out too); None when
        there is no such file.
    """
    path = os.path.join(folder, f"{metric}_raw.csv")
    if not os.path.isfile(path):
        return None
    with open(path, newline="", encoding="utf-8") as f:
        values = [float(row["mean"]) for row in csv.DictReader(f)]
    return [v for v in values if math.isfinite(v)]


def _figure(mean: float | None, folder: os.PathLike | str, metric: str) -> Figure | None:
    """``mean`` with n and the interval of the folder's per-image scores of ``metric`` (the mean alone without them)."""
    if mean is None:
        return None
    values = per_image_values(folder, metric)
    if not values:
        return Figure(mean)
    _, low, high, n = mean_interval(values)
    return Figure(mean, low, high, n)


def clean_figures(folder: os.PathLike | str) -> tuple[Figure | None, Figure | None]:
    """Clean DIC and JSC (:func:`clean_scores`), each with n and its 95 % interval over the images when the folder
    holds the per-image scores (:func:`per_image_values`).

    Args:
        folder: the evaluation's output folder.
    """
    dice, iou = clean_scores(folder)
    return _figure(dice, folder, "val_mean_dice"), _figure(iou, folder, "val_mean_iou")


def clean_table(folders: Mapping[str, os.PathLike | str]) -> list[str]:
    """The markdown lines of the table: one row per model whose folder holds a ``metrics.csv``, in order, and the
    line naming the models whose means have no interval (none when all have one).

    Args:
        folders: ``{model name: its evaluation folder}``.
    """
    lines = ["| model | clean DIC [95 % interval] (n: all test images) | clean JSC [95 % interval] (n) |", "|---|---:|---:|"]
    missing = MissingIntervals()
    for name, folder in folders.items():
        dice, jaccard = clean_figures(folder)
        if dice is not None:
            lines.append(f"| {name} | {missing.text(dice, name)} | {'-' if jaccard is None else missing.text(jaccard, name)} |")
    return lines + missing.note()


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
