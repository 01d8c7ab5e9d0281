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
"""The markdown table of how well the quality flags point at the masks to check, made from its per-image record.

The record (``benchmarks/quality_flags.py``) has one row per image and condition: ``case``, ``condition``,
``dice`` and the ``quality`` verdict. Per condition the table gives the mean DIC, how many masks were
flagged, how many fell below DIC 0.80 and how many of those were flagged, and the mean DIC of the flagged
and the unflagged masks, each mean with n and its 95 % percentile-bootstrap interval
(:func:`~nlcen_monai.metrics.mean_interval`, printed by
:class:`~nlcen_monai.reports.figures.Figure`). A document holds it between :data:`BEGIN_MARKER` and
:data:`END_MARKER`::

    python -m nlcen_monai.reports.quality_flags_table results/nlcen_jsrt/0.5.0/quality_flags.csv \\
        --write bundles/nlcen_jsrt/docs/README.md
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
from collections.abc import Sequence

from nlcen_monai.reports import markdown_block
from nlcen_monai.reports.figures import Figure

__all__ = ["BEGIN_MARKER", "END_MARKER", "LOW_DICE", "quality_flags_table", "main"]

BEGIN_MARKER = "<!-- quality-flags:begin -->"
END_MARKER = "<!-- quality-flags:end -->"
LOW_DICE = 0.80
"""A mask below this DIC is one a clinic would want flagged."""


def _mean(values: Sequence[float]) -> str:
    if not values:
        return "(none)"
    return Figure.of(values).text()


def quality_flags_table(record: os.PathLike | str) -> str:
    """The markdown table of a quality-flags record, one row per condition in the record's order.

    Args:
        record: the CSV written by ``benchmarks/quality_flags.py``.
    """
    with open(record, newline="") as f:
        rows = list(csv.DictReader(f))
    conditions = list(dict.fromkeys(row["condition"] for row in rows))
    lines = [
        f"| images | mean DIC | flagged | masks below DIC {LOW_DICE:.2f}, of them flagged | DIC, flagged | DIC, not flagged |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for condition in conditions:
        part = [(float(r["dice"]), r["quality"] != "ok") for r in rows if r["condition"] == condition]
        flagged = [d for d, f in part if f]
        low = [f for d, f in part if d < LOW_DICE]
        lines.append(
            f"| {condition} | {_mean([d for d, _ in part])} | {len(flagged)} | {len(low)}, {sum(low)} flagged | "
            f"{_mean(flagged)} | {_mean([d for d, f in part if not f])} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: print the table of RECORD; ``--write FILE`` puts it between FILE's markers.

    Args:
        argv: the arguments (default: ``sys.argv[1:]``).

    Returns:
        0, or 1 with ``--check`` when FILE's block differs from the table.
    """
    parser = argparse.ArgumentParser(prog="python -m nlcen_monai.reports.quality_flags_table", description=__doc__.splitlines()[0])
    parser.add_argument("record", help="the per-image CSV of benchmarks/quality_flags.py")
    markdown_block.add_block_options(parser, BEGIN_MARKER, END_MARKER)
    args = parser.parse_args(argv)
    table = quality_flags_table(args.record)
    sys.stdout.write(table)
    return markdown_block.write_or_check(table, BEGIN_MARKER, END_MARKER, args.write, args.check, "quality-flags table")


if __name__ == "__main__":
    sys.exit(main())
