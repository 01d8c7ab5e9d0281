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
"""The markdown table of a corruption evaluation, made from its per-image record, and the block of a document that holds it.

Rows are the corruptions (with their parameter values), columns the severities 0 (clean) to 5, each cell
``mean [lo, hi]``: the mean score over the images with its percentile-bootstrap interval, recomputed from
``per_image.csv`` with the settings of the record's ``summary.json`` (95 %, 10,000 resamples, seed 0 by
default), so the table is a function of the committed record alone. A document holds the table between
:data:`BEGIN_MARKER` and :data:`END_MARKER`; ``--write`` replaces what is between them::

    python -m nlcen_monai.reports.corruption_table results/nlcen_jsrt/0.4.4/corruptions
    python -m nlcen_monai.reports.corruption_table results/nlcen_jsrt/0.4.4/corruptions \\
        --write bundles/nlcen_jsrt/docs/README.md
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from nlcen_monai.robustness.corruption_record import CLEAN, RECORD_FILE, SUMMARY_FILE, read_corruption_record, summarise_corruptions
from nlcen_monai.robustness.corruptions import CORRUPTIONS
from nlcen_monai.reports import markdown_block
from nlcen_monai.reports.figures import Figure

__all__ = ["BEGIN_MARKER", "END_MARKER", "format_corruption_table", "record_table", "replace_block", "main"]

BEGIN_MARKER = "<!-- corruptions:begin -->"
END_MARKER = "<!-- corruptions:end -->"
METRIC_NAMES = {"dice": "DIC", "jaccard": "JSC"}


def _number(value: float) -> str:
    return f"{value:g}"


def _cell(row: Mapping[str, Any] | None, n: int | None) -> str:
    if row is None:
        return ""
    cell = Figure(row["mean"], row["lo"], row["hi"], row["n"]).interval()
    return cell if row["n"] == n else f"{cell} (n = {row['n']})"


def format_corruption_table(summary: Mapping[str, Any]) -> str:
    """The markdown table (with a line saying what it holds) of a summary of ``summarise_corruptions``.

    Args:
        summary: ``{"metric", "confidence", "rows": [{"corruption", "severity", "parameter", "mean", "lo", "hi",
            "n"}, ...]}``.

    Returns:
        the caption line, a blank line and the table, ending with a newline. A cell whose image count differs
        from the clean images' says its own n; an empty cell is a unit not in the record.
    """
    units = {(r["corruption"], int(r["severity"])): r for r in summary["rows"]}
    clean = units.get((CLEAN, 0))
    names = [n for n in CORRUPTIONS if any(c == n for c, _ in units)]
    names += sorted({c for c, _ in units if c != CLEAN and c not in CORRUPTIONS})
    severities = sorted({s for c, s in units if c != CLEAN} | {0})
    n = clean["n"] if clean is not None else max((r["n"] for r in summary["rows"]), default=0)
    metric = METRIC_NAMES.get(summary.get("metric", "dice"), summary.get("metric", "dice"))
    confidence = round(100 * float(summary.get("confidence", 0.95)))
    lines = [
        f"{metric}, mean [{confidence} % bootstrap interval] over n = {n} test images; severity 0 is the clean image.",
        "",
        "| corruption: parameter at severities " + ", ".join(str(s) for s in severities if s) + " | "
        + " | ".join(str(s) for s in severities) + " |",
        "|---|" + "---:|" * len(severities),
    ]
    for name in names:
        values = [units[(name, s)]["parameter"] for s in severities if s and (name, s) in units]
        described = CORRUPTIONS[name].parameter if name in CORRUPTIONS else "parameter"
        label = f"{name}: {described} = " + ", ".join(_number(v) for v in values if v is not None)
        cells = [_cell(clean if s == 0 else units.get((name, s)), n) for s in severities]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def record_table(record_dir: os.PathLike | str, metric: str = "dice") -> str:
    """The table of the record in ``record_dir`` (``per_image.csv``), intervals recomputed from it.

    The bootstrap settings (confidence, resamples, seed) are those of ``record_dir/summary.json`` when it
    exists, else the defaults of :func:`~nlcen_monai.robustness.summarise_corruptions`.

    Args:
        record_dir: a corruption evaluation's output folder (or a committed copy of its two files).
        metric: ``"dice"`` or ``"jaccard"``.

    Raises:
        FileNotFoundError: when ``record_dir`` holds no record, naming it.
    """
    record = Path(record_dir) / RECORD_FILE
    rows = read_corruption_record(record)
    if not rows:
        raise FileNotFoundError(f"no corruption record (or an empty one) at '{record}'.")
    settings: dict[str, Any] = {}
    summary_file = Path(record_dir) / SUMMARY_FILE
    if summary_file.is_file():
        saved = json.loads(summary_file.read_text())
        settings = {k: saved[k] for k in ("confidence", "n_boot", "seed") if k in saved}
    return format_corruption_table(summarise_corruptions(rows, metric=metric, **settings))


def replace_block(text: str, block: str, begin: str = BEGIN_MARKER, end: str = END_MARKER) -> str:
    """:func:`~nlcen_monai.reports.markdown_block.replace_block` with the corruption table's markers by default."""
    return markdown_block.replace_block(text, block, begin, end)


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: print the table of ``RECORD_DIR``; ``--write FILE`` puts it between FILE's markers.

    Args:
        argv: the arguments (default: ``sys.argv[1:]``).

    Returns:
        0, or 1 with ``--check`` when FILE's block differs from the table.
    """
    parser = argparse.ArgumentParser(prog="python -m nlcen_monai.reports.corruption_table", description=__doc__.splitlines()[0])
    parser.add_argument("record_dir", help="folder with per_image.csv (and summary.json) of a corruption evaluation")
    parser.add_argument("--metric", choices=sorted(METRIC_NAMES), default="dice")
    markdown_block.add_block_options(parser, BEGIN_MARKER, END_MARKER)
    parser.add_argument("--figure", metavar="PNG", help="also draw mean DIC against severity from RECORD_DIR/summary.json")
    args = parser.parse_args(argv)
    table = record_table(args.record_dir, metric=args.metric)
    sys.stdout.write(table)
    if args.figure:
        from nlcen_monai.visualize.corruption_curves import corruption_curves_figure

        summary = json.loads((Path(args.record_dir) / SUMMARY_FILE).read_text())
        n = len({row["case"] for row in read_corruption_record(Path(args.record_dir) / RECORD_FILE)})
        figure = corruption_curves_figure(summary, title=f"Under corruptions, {n} test images (95 % bootstrap bands)")
        figure.savefig(args.figure, dpi=80)
    return markdown_block.write_or_check(table, BEGIN_MARKER, END_MARKER, args.write, args.check, "corruption table")


if __name__ == "__main__":
    sys.exit(main())
