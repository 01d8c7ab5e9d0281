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
"""A model's published robustness figures, made from its per-image record and nowhere typed by hand.

From a results folder (``robustness_per_image.csv`` and ``robustness.json``, as ``adversarial.json``
writes them and ``results/<bundle>/<version>/`` keeps them), per intensity: the clean and the
worst-case mean Dice with n and the 95 % bootstrap interval, whether the figure is a robustness figure
or only an upper bound (the gradient-masking checks, judged again from the record with the settings it
holds), the paired drop of checks c and d with its interval, and the cost: the worst case's mean passes
per image and the whole checked evaluation's passes per image and intensity. Three products:

- :func:`performance_table`: the markdown table of a model card, between :data:`TABLE_BEGIN` and
  :data:`TABLE_END`;
- :func:`headline`: one sentence for a README, between :data:`HEADLINE_BEGIN` and :data:`HEADLINE_END`;
- :func:`target_gaps`: how far each figure is from its target, for a model card's limitations, between
  :data:`TARGETS_BEGIN` and :data:`TARGETS_END`;
- :func:`eval_metrics`: the ``eval_metrics`` of a bundle's ``metadata.json``.

``--check`` makes a test of each: it fails when a published number differs from its record::

    python -m nlcen_monai.reports.release_figures results/nlcen_jsrt/0.5.1/robustness \\
        --card bundles/nlcen_jsrt/docs/README.md --readme README.md \\
        --metadata bundles/nlcen_jsrt/configs/metadata.json \\
        --targets '{"0": 0.95, "8": 0.90, "32": 0.80}' [--check]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nlcen_monai.reports import markdown_block
from nlcen_monai.reports.figures import Figure
from nlcen_monai.robustness import GradientMaskingChecks, ResultFiles, RobustnessResult, format_eps
from nlcen_monai.robustness.roles import RowRole
from nlcen_monai.utils.atomic import atomic_write_text

__all__ = [
    "HEADLINE_BEGIN",
    "HEADLINE_END",
    "TABLE_BEGIN",
    "TABLE_END",
    "TARGETS_BEGIN",
    "TARGETS_END",
    "Figure",
    "ReleaseFigures",
    "eval_metrics",
    "headline",
    "main",
    "performance_table",
    "release_figures",
    "target_gaps",
]

TABLE_BEGIN = "<!-- release-figures:begin -->"
TABLE_END = "<!-- release-figures:end -->"
HEADLINE_BEGIN = "<!-- release-headline:begin -->"
HEADLINE_END = "<!-- release-headline:end -->"
TARGETS_BEGIN = "<!-- release-targets:begin -->"
TARGETS_END = "<!-- release-targets:end -->"


@dataclass(frozen=True)
class ReleaseFigures:
    """What a record says of a model: the clean figure and, per intensity, the worst case and its checks.

    ``worst[eps]`` is the evaluated attack's mean; ``status[eps]`` the intensity's check status (``passed``
    or what failed or did not run); ``drops[check][eps]`` the paired drop of checks c and d with its interval;
    ``passes[eps]`` the worst case's mean passes per image; ``passes_per_image_intensity`` the passes behind
    the record's rows (the worst case's and every check's, over all its runs:
    :attr:`~nlcen_monai.robustness.RobustnessResult.recorded_passes`) divided by its images times its intensities
    (None when the record counts no passes).
    """

    attack: str
    clean: Figure | None
    worst: dict[float, Figure]
    status: dict[float, str]
    upper_bound: dict[float, bool]
    drops: dict[str, dict[float, Figure]]
    tolerances: dict[str, float]
    passes: dict[float, float | None]
    passes_per_image_intensity: float | None


def release_figures(record: str | os.PathLike) -> ReleaseFigures:
    """The figures of the results folder ``record``, with the checks judged again from its per-image rows.

    The means, intervals, statuses and upper bounds are those of the record's own table
    (:attr:`~nlcen_monai.robustness.RobustnessResult.rows`), once its checks are judged again with the
    settings it holds (a record judged by an older rule is read by today's).

    Args:
        record: a folder holding ``robustness_per_image.csv`` and ``robustness.json``.

    Raises:
        ValueError: when the folder holds no per-image row of its evaluated attack.
    """
    result = RobustnessResult.load(ResultFiles.in_dir(record))
    if not any(r["attack"] == result.attack and r["role"] == RowRole.EVALUATED.value for r in result.per_image):
        raise ValueError(f"{record}: no per-image row of an evaluated attack ('{result.attack}').")
    judge = GradientMaskingChecks.from_description(result.settings.get("checks"))
    members = [d["name"] for d in (result.settings.get("attack") or {}).get("members") or []]
    result.checks = judge.judge(result.rows, result.per_image, result.attack, members) if result.settings.get("checks") else None
    rows = {r["eps"]: r for r in result.rows if r["attack"] == result.attack}
    positive = sorted(e for e in rows if e > 0)
    drops: dict[str, dict[float, Figure]] = {}
    for name in ("more_iterations", "black_box"):
        for key, entry in ((result.checks or {}).get(name, {}).get("per_eps") or {}).items():
            if entry.get("paired"):
                drops.setdefault(name, {})[float(key)] = Figure.of_drop(entry)
    images = max((int(r["n_images"]) for r in rows.values()), default=0)
    run = result.recorded_passes
    counted = float((result.passes or {}).get("run", 0.0))
    if counted and abs(counted - run) > 0.5:
        sys.stderr.write(
            f"{record}: robustness.json counts {counted:.0f} passes run, its rows {run:.0f}; the figures use the rows' "
            "(the counter also holds the passes of stale rows, or was summed twice when a record was merged into itself).\n"
        )
    return ReleaseFigures(
        attack=result.attack,
        clean=Figure.of_row(rows[0.0]) if 0.0 in rows else None,
        worst={e: Figure.of_row(rows[e]) for e in positive},
        status={e: rows[e]["checks"] for e in positive},
        upper_bound={e: bool(rows[e]["upper_bound"]) for e in positive},
        drops=drops,
        tolerances={"more_iterations": judge.iterations_tolerance, "black_box": judge.black_box_tolerance},
        passes={e: None if rows[e].get("passes") is None else float(rows[e]["passes"]) for e in positive},
        passes_per_image_intensity=run / (images * len(positive)) if run > 0 and images and positive else None,
    )


def performance_table(figures: ReleaseFigures) -> str:
    """The model card's table: per intensity, the worst case with its interval and n, its passes, its status and
    the check drops; then the whole checked evaluation's passes per image and intensity."""
    lines = [
        "| eps | DIC: mean [95 % interval] (n) | worst-case passes per image | gradient-masking checks "
        "| check c: drop at 4x the passes | check d: drop to the black box |",
        "|---:|---|---:|---|---|---|",
    ]
    if figures.clean is not None:
        lines.append(f"| 0 (clean) | {figures.clean.text()} | | | | |")
    for eps, worst in figures.worst.items():
        cell = worst.text() + (" †" if figures.upper_bound[eps] else "")
        drops = [figures.drops.get(name, {}).get(eps) for name in ("more_iterations", "black_box")]
        drop_cells = ["not run" if d is None else d.text() for d in drops]
        passes = "" if figures.passes.get(eps) is None else f"{figures.passes[eps]:.0f}"
        lines.append(f"| {format_eps(eps)} | {cell} | {passes} | {figures.status[eps]} | {drop_cells[0]} | {drop_cells[1]} |")
    lines.append("")
    if figures.passes_per_image_intensity is not None:
        lines.append(
            f"The whole checked evaluation (worst case and every check that ran) spent {figures.passes_per_image_intensity:.0f} "
            "forward(-backward) passes per image and intensity."
        )
        lines.append("")
    lines.append(
        "†: an upper bound, not a robustness figure (a check failed or did not run at that intensity). A check "
        f"passes when the upper end of its drop's interval is within its tolerance (c: {figures.tolerances['more_iterations']:g}, "
        f"d: {figures.tolerances['black_box']:g})."
    )
    return "\n".join(lines) + "\n"


def headline(figures: ReleaseFigures) -> str:
    """One sentence: the clean and worst-case Dice per intensity, each with n and its interval, upper bounds said."""
    parts = [] if figures.clean is None else [f"clean DIC {figures.clean.text()}"]
    for eps, worst in figures.worst.items():
        kind = "an upper bound" if figures.upper_bound[eps] else "all four checks passed"
        parts.append(f"worst case {worst.text()} at eps {format_eps(eps)} ({kind})")
    return "; ".join(parts) + ".\n"


def target_gaps(figures: ReleaseFigures, targets: Mapping[float, float]) -> str:
    """One markdown list item per target: the figure, its distance from the target, and what the interval says.

    A figure is ``short`` of its target (or ``above`` it) by its mean's distance; ``the interval excludes it``
    when the whole 95 % interval lies on the mean's side of the target. An upper bound (†) short of its target
    is at least that short; one above it proves nothing.

    Args:
        figures: the record's figures.
        targets: the target DIC per intensity in grey levels, 0 for clean.

    Raises:
        KeyError: when the record holds no figure at a target's intensity.
    """
    lines = []
    for eps, target in sorted((float(e), float(t)) for e, t in targets.items()):
        figure = figures.clean if eps == 0 else figures.worst.get(eps)
        if figure is None:
            raise KeyError(f"the record holds no figure at eps {format_eps(eps)}, which has a target.")
        upper = eps > 0 and figures.upper_bound[eps]
        name = "clean DIC" if eps == 0 else f"worst case at eps {format_eps(eps)}"
        gap = figure.mean - target
        side = "short" if gap < 0 else "above"
        excluded = figure.has_interval and (figure.high < target if gap < 0 else figure.low >= target)
        at_least = "at least " if upper and gap < 0 else ""
        said = f"{name} {figure.text()}{' †' if upper else ''} against {target:.2f}: {at_least}{abs(gap):.3f} {side}"
        if upper:
            said += " (an upper bound)" if gap < 0 else ", but as an upper bound, which proves nothing"
        elif figure.has_interval:
            said += ", the interval excludes the target" if excluded else ", the interval holds the target"
        lines.append(f"- {said}.")
    return "\n".join(lines) + "\n"


def eval_metrics(figures: ReleaseFigures) -> dict[str, Any]:
    """The ``eval_metrics`` of ``metadata.json``: each figure with n and its interval, and each intensity's status."""
    metrics: dict[str, Any] = {}
    if figures.clean is not None:
        metrics.update(_metric("clean_dice", figures.clean))
    for eps, worst in figures.worst.items():
        name = f"worst_case_dice_eps{format_eps(eps)}"
        metrics.update(_metric(name, worst))
        metrics[f"{name}_checks"] = figures.status[eps]
    return metrics


def _metric(name: str, figure: Figure) -> dict[str, Any]:
    return {name: round(figure.mean, 4), f"{name}_low": round(figure.low, 4), f"{name}_high": round(figure.high, 4),
            f"{name}_n": figure.n}


def _metadata_text(path: str | os.PathLike, metrics: Mapping[str, Any]) -> str:
    content = json.loads(Path(path).read_text())
    content["eval_metrics"] = dict(metrics)
    return json.dumps(content, indent=4, ensure_ascii=False) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: print the table and the headline of RECORD; write or check the documents given.

    Args:
        argv: the arguments (default: ``sys.argv[1:]``).

    Returns:
        0, or 1 with ``--check`` when a document differs from what the record gives.
    """
    parser = argparse.ArgumentParser(prog="python -m nlcen_monai.reports.release_figures", description=__doc__.splitlines()[0])
    parser.add_argument("record", help="the results folder (robustness_per_image.csv, robustness.json)")
    parser.add_argument("--card", help=f"a model card with the block {TABLE_BEGIN} ... {TABLE_END}")
    parser.add_argument("--block", metavar="NAME", help="the table's markers in --card are <!-- NAME:begin --> and "
                        "<!-- NAME:end --> (e.g. to keep several records' tables in one document)")
    parser.add_argument("--readme", help=f"a README with the block {HEADLINE_BEGIN} ... {HEADLINE_END}")
    parser.add_argument("--metadata", help="a bundle's metadata.json whose eval_metrics to replace")
    parser.add_argument("--targets", type=json.loads, help="the target DIC per intensity as JSON, e.g. "
                        f"'{{\"0\": 0.95, \"32\": 0.8}}' (0: clean): --card's block {TARGETS_BEGIN} ... {TARGETS_END} says how far "
                        "each figure is from its target")
    parser.add_argument("--check", action="store_true", help="check the documents instead of writing them")
    args = parser.parse_args(argv)
    figures = release_figures(args.record)
    table, line = performance_table(figures), headline(figures)
    sys.stdout.write(table + "\n" + line)
    status = 0
    table_begin, table_end = (TABLE_BEGIN, TABLE_END) if not args.block else (f"<!-- {args.block}:begin -->", f"<!-- {args.block}:end -->")
    documents = [
        (args.card, table, table_begin, table_end, "performance table"),
        (args.readme, line, HEADLINE_BEGIN, HEADLINE_END, "headline"),
    ]
    if args.targets:
        gaps = target_gaps(figures, args.targets)
        sys.stdout.write("\n" + gaps)
        documents.append((args.card, gaps, TARGETS_BEGIN, TARGETS_END, "distance from the targets"))
    for document, block, begin, end, what in documents:
        if document:
            write, check = (None, document) if args.check else (document, None)
            status |= markdown_block.write_or_check(block, begin, end, write, check, what)
    if args.metadata:
        text = _metadata_text(args.metadata, eval_metrics(figures))
        if not args.check:
            atomic_write_text(args.metadata, text)
        elif Path(args.metadata).read_text() != text:
            sys.stderr.write(f"{args.metadata}: eval_metrics differ from the ones made from {args.record}.\n")
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
