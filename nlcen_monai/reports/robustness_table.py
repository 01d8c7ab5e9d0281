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
"""A comparison CSV (from ``python -m nlcen_monai.compare``) as the markdown table BENCHMARKS.md records.

One row per (attack, eps), one DIC/JSC column pair per configuration; eps 0 is the clean score. Each DIC
carries its 95 % bootstrap interval over the images (the rows' ``dice_low`` and ``dice_high``), and the last
column the images per cell; a configuration whose rows carry no interval (an older record, without
per-image values) is named below the table. A cell marked † is an upper bound: its ``checks`` column says
the gradient-masking checks failed or did not run at that intensity (the paper's attack alone runs no
checks, so all its adversarial cells are marked)::

    python -m nlcen_monai.reports.robustness_table runs/jsrt/comparison.csv --size 128
"""

from __future__ import annotations

import csv
import os
import sys
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from nlcen_monai.reports.cli import report_parser
from nlcen_monai.reports.figures import Figure, MissingIntervals
from nlcen_monai.robustness import format_eps, is_upper_bound, read_robustness_csv

__all__ = ["read_comparison_csv", "comparison_table", "main"]


def read_comparison_csv(path: os.PathLike | str) -> list[dict[str, Any]]:
    """The rows of a comparison CSV: the robustness table's columns read by the package's own reader
    (:func:`~nlcen_monai.robustness.read_robustness_csv`: eps, scores and counts typed, checks ``""`` when
    absent), each with the ``config`` of its line.

    Args:
        path: ``comparison.csv`` written by :func:`nlcen_monai.compare.results.write_comparison_csv`.
    """
    with open(path, newline="", encoding="utf-8") as f:
        configs = [line["config"] for line in csv.DictReader(f)]
    return [{"config": config, **row} for config, row in zip(configs, read_robustness_csv(path))]


def comparison_table(rows: Sequence[dict[str, Any]], size: int | None = None) -> list[str]:
    """The caption and the markdown lines of the table, configurations in the order they first appear, and the
    line naming the configurations whose DIC have no interval (none when all have one).

    Args:
        rows: from :func:`read_comparison_csv`.
        size: the image side the models ran at, said in the caption (None: not said).
    """
    configs = list(dict.fromkeys(r["config"] for r in rows))
    table: dict[tuple[str, float], dict[str, tuple[Figure, float, int, bool]]] = defaultdict(dict)
    for r in rows:
        bound = is_upper_bound(r["checks"], r["eps"])
        table[(r["attack"], r["eps"])][r["config"]] = (Figure.of_row(r), r["jaccard"], r["n_images"], bound)
    side = f" at {size} x {size}" if size else ""
    lines = [
        f"DIC [95 % interval] / JSC per configuration{side}; eps 0 = clean; n = test images per cell; "
        "† = an upper bound (gradient-masking checks failed or not run at that intensity)\n",
        "| attack | eps | " + " | ".join(f"{c} DIC | {c} JSC" for c in configs) + " | n |",
        "|---|---:|" + "---:|---:|" * len(configs) + "---:|",
    ]
    missing = MissingIntervals()
    for attack, eps in sorted(table, key=lambda k: (k[0] != "targeted_ifgsm", k[0], k[1])):
        cells = table[(attack, eps)]
        values = " | ".join(_cells(cells[c], c, missing) if c in cells else "- | -" for c in configs)
        n = sorted({v[2] for v in cells.values()})
        lines.append(f"| {attack} | {format_eps(eps)} | {values} | {'/'.join(map(str, n))} |")
    return lines + missing.note()


def _cells(cell: tuple[Figure, float, int, bool], config: str, missing: MissingIntervals) -> str:
    """A configuration's DIC (with its interval) and JSC cells, each marked † when an upper bound."""
    dice, jaccard, _, bound = cell
    mark = " †" if bound else ""
    return f"{missing.interval(dice, config)}{mark} | {jaccard:.3f}{mark}"


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: print the table of a comparison CSV.

    Args:
        argv: the arguments (default: ``sys.argv[1:]``).
    """
    parser = report_parser("nlcen_monai.reports.robustness_table", __doc__)
    parser.add_argument("csv", help="comparison.csv written by nlcen_monai.compare")
    parser.add_argument("--size", type=int, default=None, help="image side the models ran at, printed in the header")
    args = parser.parse_args(argv)
    print("\n".join(comparison_table(read_comparison_csv(args.csv), args.size)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
