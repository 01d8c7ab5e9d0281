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
"""The worst-case robustness tables that BENCHMARKS.md records, from each model's results store.

For every model folder given (``NAME=DIR``, ``DIR`` holding the ``robustness.json``,
``robustness_per_image.csv`` and ``robustness.csv`` that ``configs/attacks/strong.json`` writes,
loaded with :class:`nlcen_monai.robustness.RobustnessResult`), three markdown tables:

1. DIC per intensity, each with its 95 % bootstrap interval over the images and n (the table rows'
   ``dice_low``, ``dice_high`` and ``n_images``): the paper's attack, each strong attack on its own (``n`` =
   images it had to attack: the others were already broken), the worst case per image over all of them, the DIC
   that checks c (the worst case with doubled iterations and restarts, 4x the passes) and d (the
   black-box attacks) compared with it, the attack that gave the worst case on most images, and
   each intensity's gradient-masking status; a cell marked † is an upper bound (the checks failed
   or did not run at that intensity);
2. the four gradient-masking checks with their numbers, and the verdict per intensity: a's largest paired rise, b's
   DIC, and c's and d's paired drop per intensity, each with its interval and n;
3. the cost: passes of the network, run and saved by the skipping, and the worst case's passes per
   image at each intensity;
4. with more than one model: each model's worst case minus the first model's at each intensity, paired over the
   images both attacked, with the paired 95 % interval and n, and ``better`` / ``worse`` where the interval excludes
   zero (:mod:`~nlcen_monai.reports.model_differences`): how a new release is judged against the shipped model on
   the reporting images.

With ``--common-cases`` the DIC of table 1 are recomputed from the per-image rows over the images that
every model's worst case attacked (runs on different subsets of a test set, e.g. ``--test-every 3`` on a
GPU and ``--test-every 9`` on a CPU, compared on the same images); the checks and costs stay each run's own.
With ``--rejudge`` the four checks are judged again from the per-image rows kept (over the common images
with ``--common-cases``), with the check settings the store records: what a stopped evaluation needs, which
keeps the rows of every image it finished but judges only once all are done (``complete`` false). A figure of an
older store without per-image values has no interval: it is printed with its n, and a line below the tables
names the stores that gave such figures::

    python -m nlcen_monai.reports.worst_case_table nlcen=runs/jsrt128/strong/nlcen/eval/robustness \\
        unet=runs/jsrt128/strong/unet/eval/robustness
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from nlcen_monai.reports.cli import named_folders, report_parser
from nlcen_monai.reports.figures import Figure, MissingIntervals
from nlcen_monai.reports.model_differences import decision, paired_differences, per_image_scores
from nlcen_monai.robustness import (
    CHECK_BLACK_BOX,
    CHECK_MORE_ITERATIONS,
    CHECK_NAMES,
    CHECK_UNBOUNDED,
    PER_INTENSITY_CHECKS,
    GradientMaskingChecks,
    ResultFiles,
    RobustnessResult,
    format_eps,
    intensity_verdicts,
    table_rows,
)

__all__ = ["load", "dice_table", "checks_table", "cost_table", "common_cases", "differences_table", "main"]

DAGGER = "†"
# the DIC rows that checks c and d compare with the worst case (table 1 shows them below it)
CHECK_ROWS = {
    CHECK_MORE_ITERATIONS: "check c: worst case, doubled iterations and restarts",
    CHECK_BLACK_BOX: "check d: black-box attacks",
}


def load(folder: os.PathLike | str) -> RobustnessResult:
    """The results store in ``folder``.

    Raises:
        SystemExit: when the folder has no ``robustness.json`` (no worst-case evaluation to report).
    """
    result = RobustnessResult.load(ResultFiles.in_dir(folder))
    if not result.attack:
        raise SystemExit(f"{folder}: no robustness.json")
    return result


def _worst_attack(per_image: list[dict], attack: str, eps: float) -> str:
    """The member named most often as the source of the worst case at ``eps`` ('@' marks one inherited from a smaller eps)."""
    sources = Counter(r["source"] for r in per_image if r["attack"] == attack and r["eps"] == eps)
    if not sources:
        return "-"
    name, count = sources.most_common(1)[0]
    return f"{name} ({count}/{sum(sources.values())})"


def _members(result: RobustnessResult) -> list[str]:
    return [m["name"] for m in result.settings.get("attack", {}).get("members", [])]


def _rejudge(result: RobustnessResult, table: list, per_image: list) -> dict:
    """The four checks judged from these rows, with the store's recorded check settings."""
    checks = GradientMaskingChecks.from_description(result.settings.get("checks"))
    return checks.judge(table, per_image, result.attack, _members(result))


def _rise(check: Mapping[str, Any]) -> Figure:
    """Check a's largest paired rise, with its interval and n when the judged check holds them."""
    worst = check.get("worst") or {}
    return Figure(check["max_rise"], worst.get("rise_low"), worst.get("rise_high"), worst.get("n_images"))


def _check_cell(
    name: str, check: Mapping[str, Any], unbounded: Figure | None, cells: MissingIntervals, record: str
) -> str:
    """A check's verdict with its numbers, each with its interval and n.

    Args:
        name: the check.
        check: its judged entry.
        unbounded: check b's DIC from the table row (None: no row), for the interval the entry does not hold.
        cells: formats the figures and notes those without an interval.
        record: the model's name, for that note.
    """
    passed = {True: "pass", False: "**FAIL**", None: "not run"}[check.get("passed")]
    if check.get("max_rise") is not None:
        return f"{passed} (max rise {cells.text(_rise(check), record, sign=True)})"
    if "dice" in check and "max_dice" in check:
        if check["dice"] is None:
            return passed
        figure = unbounded if unbounded is not None else Figure(check["dice"])
        return f"{passed} (DIC {cells.text(figure, record)})"
    if name in PER_INTENSITY_CHECKS and check.get("per_eps"):
        bold = {e: "" if v.get("passed", True) else "**" for e, v in check["per_eps"].items()}
        drops = [f"{bold[e]}{cells.text(Figure.of_drop(v), record)}{bold[e]} at eps {e}" for e, v in check["per_eps"].items()]
        return f"{passed} (drop {', '.join(drops)})"
    return passed


def _unbounded_figure(result: RobustnessResult, judged_on: set[str] | None = None) -> Figure | None:
    """Check b's DIC at the intensity it was judged at, with its interval and n (None: no row).

    Args:
        result: the store.
        judged_on: the images the checks were judged on (None: the store's own table).
    """
    eps = ((result.checks or {}).get("unbounded") or {}).get("eps")
    table = result.rows if judged_on is None else table_rows(result.per_image, judged_on)
    row = next((r for r in table if r["attack"] == CHECK_UNBOUNDED and r["eps"] == eps), None)
    return None if row is None else Figure.of_row(row)


def _status_cell(verdict) -> str:
    if verdict.passed:
        return "passed"
    parts = [f"**FAILED** ({', '.join(verdict.failed)})"] if verdict.failed else []
    if verdict.unchecked:
        parts.append("not run" if len(verdict.unchecked) == len(CHECK_NAMES) else f"not run ({', '.join(verdict.unchecked)})")
    return f"{'; '.join(parts)} {DAGGER}"


def common_cases(results: Mapping[str, RobustnessResult]) -> set[str]:
    """The images that every model's worst case attacked."""
    return set.intersection(*({r["case_id"] for r in res.per_image if r["attack"] == res.attack} for res in results.values()))


def dice_table(
    name: str,
    result: RobustnessResult,
    common: set[str] | None = None,
    rejudge: bool = False,
    cells: MissingIntervals | None = None,
) -> list[str]:
    """Table 1 of one model: DIC [95 % interval] (n images attacked) per attack and intensity, then the check
    rows, the worst attack and each intensity's status.

    Args:
        name: the model's name.
        result: its store; with ``rejudge`` its ``checks`` are replaced by those judged from the rows used.
        common: the images to recompute the DIC over (None: the store's own table).
        rejudge: judge the four checks again from the per-image rows kept.
        cells: formats the figures and notes those without an interval (None: a new one, not said).
    """
    cells = MissingIntervals() if cells is None else cells
    per_image, table = result.per_image, result.rows
    if common is not None:  # the means and the "worst on most images" counts over the common images
        per_image = [r for r in per_image if r["case_id"] in common]
        table = table_rows(per_image, common)
    if rejudge:
        result.checks = _rejudge(result, table, per_image)
    rows = {(r["attack"], r["eps"]): r for r in table}
    attack = result.attack
    eps_list = sorted(e for (a, e) in rows if a == attack)
    verdicts = intensity_verdicts(result.checks, eps_list)
    lines = [
        f"\n**{name}**: DIC [95 % interval] (n images attacked) per intensity; eps 0 = clean\n",
        "| attack | " + " | ".join(f"eps {format_eps(e)}" for e in eps_list) + " |",
        "|---|" + "---:|" * len(eps_list),
    ]
    for a in [*_members(result), attack]:
        row_cells = []
        for e in eps_list:
            r = rows.get((a, e)) or (rows.get((attack, 0.0)) if e == 0 else None)
            mark = f" {DAGGER}" if e > 0 and not verdicts[e].passed else ""
            row_cells.append("-" if r is None else cells.text(Figure.of_row(r), name) + mark)
        label = f"**{a}**" if a == attack else a
        lines.append(f"| {label} | " + " | ".join(row_cells) + " |")
    for a, label in CHECK_ROWS.items():
        if any((a, e) in rows for e in eps_list):
            row_cells = [cells.text(Figure.of_row(rows[(a, e)]), name) if (a, e) in rows else "-" for e in eps_list]
            lines.append(f"| {label} | " + " | ".join(row_cells) + " |")
    worst = [_worst_attack(per_image, attack, e) if e > 0 else "-" for e in eps_list]
    lines.append("| worst on most images | " + " | ".join(worst) + " |")
    lines.append("| gradient-masking checks | " + " | ".join(_status_cell(verdicts[e]) if e > 0 else "-" for e in eps_list) + " |")
    return lines


def checks_table(
    results: Mapping[str, RobustnessResult], cells: MissingIntervals | None = None, judged_on: set[str] | None = None
) -> list[str]:
    """Table 2: each model's four checks with their numbers (each with its interval and n), and its verdict per
    intensity.

    Args:
        results: the stores by model name.
        cells: formats the figures and notes those without an interval (None: a new one, not said).
        judged_on: the images the checks were judged again on (``--rejudge --common-cases``); None: each
            store's own table.
    """
    cells = MissingIntervals() if cells is None else cells
    lines = [
        "\nGradient-masking checks (c and d at each intensity where they ran)\n",
        "| model | " + " | ".join(CHECK_NAMES) + " | verdict per intensity |",
        "|---|" + "---|" * (len(CHECK_NAMES) + 1),
    ]
    for name, result in results.items():
        checks, unbounded = result.checks or {}, _unbounded_figure(result, judged_on)
        row = [_check_cell(c, checks.get(c, {}), unbounded, cells, name) for c in CHECK_NAMES]
        lines.append(f"| {name} | " + " | ".join(row) + f" | {result.verdict} |")
    return lines


def cost_table(results: Mapping[str, RobustnessResult]) -> list[str]:
    """Table 3: each model's passes of the network (run and saved), seconds, and worst-case passes per image."""
    lines = [
        "\nCost: forward(-backward) passes of the network and wall time (all runs of the evaluation summed, checks included)\n",
        "| model | images | intensities | passes run | passes saved by skipping | seconds | seconds per image and intensity"
        " | worst-case passes per image, by intensity |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, result in results.items():
        passes, attack = result.passes, result.attack
        own = [r for r in result.rows if r["attack"] == attack]
        clean = [r for r in own if r["eps"] == 0]
        n = clean[0]["n_images"] if clean else max((r["n_images"] for r in result.rows), default=0)
        n_eps = len(result.epsilons)
        seconds = passes.get("seconds", 0.0)
        per = seconds / (n * n_eps) if n and n_eps else float("nan")
        known = [r for r in own if r["eps"] > 0 and r.get("passes") is not None]
        by_eps = ", ".join(f"{format_eps(r['eps'])}: {r['passes']:.0f}" for r in known) or "-"
        run, saved = passes.get("run", 0), passes.get("saved", 0)
        lines.append(f"| {name} | {n} | {n_eps} | {run:.0f} | {saved:.0f} | {seconds:.0f} | {per:.1f} | {by_eps} |")
    return lines


def differences_table(results: Mapping[str, RobustnessResult]) -> list[str]:
    """Table 4: each model's worst case minus the first model's per intensity, paired over the images both attacked
    (each worst case's own rows: a difference needs no check), with its decision; [] for fewer than two models.

    Args:
        results: the stores by model name; the first is the reference.
    """
    if len(results) < 2:
        return []
    (first, reference), *others = results.items()
    reference_scores = per_image_scores(reference.per_image, reference.attack)
    differences = {
        name: paired_differences(per_image_scores(result.per_image, result.attack), reference_scores)
        for name, result in others
    }
    eps_list = sorted({e for d in differences.values() for e in d if e > 0})
    lines = [
        f"\nWorst case minus {first}'s, paired over the images both attacked: mean [95 % interval] (n); better / worse "
        "where the interval excludes zero\n",
        "| model | " + " | ".join(f"eps {format_eps(e)}" for e in eps_list) + " |",
        "|---|" + "---|" * len(eps_list),
    ]
    for name, by_eps in differences.items():
        cells = [
            "-" if e not in by_eps else f"{by_eps[e].text(4, sign=True)} {decision(by_eps[e])}".rstrip() for e in eps_list
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: print the three tables of the ``NAME=DIR`` stores.

    Args:
        argv: the arguments (default: ``sys.argv[1:]``).
    """
    parser = report_parser("nlcen_monai.reports.worst_case_table", __doc__)
    parser.add_argument("models", nargs="+", metavar="NAME=DIR", help="model name and its robustness folder")
    parser.add_argument(
        "--common-cases", action="store_true", help="recompute the DIC over the images that every model's worst case attacked"
    )
    parser.add_argument(
        "--rejudge", action="store_true", help="judge the checks again from the per-image rows kept (e.g. of a stopped evaluation)"
    )
    args = parser.parse_args(argv)
    loaded = {name: load(folder) for name, folder in named_folders(parser, args.models).items()}
    lines = []
    common = common_cases(loaded) if args.common_cases else None
    if common is not None:
        lines.append(f"\nDIC over the {len(common)} images that every model's worst case attacked\n")
    lines.append(f"\n{DAGGER}: an upper bound, not a robustness figure (the gradient-masking checks failed or did not run there)")
    cells = MissingIntervals()
    for name, result in loaded.items():
        lines += dice_table(name, result, common, args.rejudge, cells)
    lines += checks_table(loaded, cells, common if args.rejudge else None)
    lines += cells.note()
    lines += cost_table(loaded)
    lines += differences_table(loaded)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
