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
"""The defense campaign's table (``benchmarks/defense_campaign.sh``), one line per run, and its ``campaign.csv``.

For each run folder ``OUT/<name>`` it reads what the campaign script left there:

- ``overrides.txt``: the bundle overrides of the run;
- ``eval_val/metrics.csv``: clean DIC/JSC on the validation cases (the training's held-out split), the clean figure
  decisions use; ``eval_clean/metrics.csv``: on the whole test set, the one a release publishes (``evaluate.json``'s
  ``MetricsSaver``, with the per-image scores beside it, ``val_mean_dice_raw.csv``, ``val_mean_iou_raw.csv``, for n
  and the intervals);
- ``worst/robustness/``: the screen, the worst case of ``configs/attacks/strong.json`` with
  ``configs/attacks/budget_js300.json`` at eps 8 and 32 on the selection images, without the gradient-masking checks
  (an upper bound, measured the same way for every run): its table ``robustness.csv`` and its per-image record
  ``robustness_per_image.csv``, from which the paired difference to the ``--reference`` run is taken over the images
  both ran (:func:`worst_case_differences`);
- ``train.log``: Ignite's ``Epoch[N] Complete. Time taken: ...`` lines of the trainer (validation included).

Every mean carries n and its 95 % bootstrap interval over the images (in ``campaign.csv``: the columns
``<name>_low`` and ``<name>_high``, and ``val_images``, ``clean_images``, ``worst_images``, ``diff_images``); a run
whose records hold no per-image values (an older run) gives the means alone, and a line below the table names it. A
difference decides (``better``, ``worse``) only where its paired interval excludes zero.

The epoch times come from the log because no record holds them: the campaign trains with ``monai.bundle
run`` directly, which writes no ``training.json``, and the ``training.json`` of ``nlcen_monai.compare``
(:class:`~nlcen_monai.compare.training_record.TrainingRecord`) keeps each run's total seconds, not the time of
each epoch. Seconds per epoch are the median over the epochs after the first (which carries the start-up); the
ratio is against the undefended ``clean`` run's median when it is in the table. Runs that share the CPU with
other jobs have noisy epoch times: a ratio measured side by side in one process is ``benchmarks/train_step.py
--adversarial``::

    python -m nlcen_monai.reports.campaign_table runs/campaign --runs clean at8 at32_mix --reference at32_mix

``--write FILE`` puts the table (without the sentence on the screen) between :data:`BEGIN_MARKER` and
:data:`END_MARKER` of a markdown document, ``--check FILE`` fails when the document's table differs from the
records (as ``docs/defense.md`` quotes the committed records of ``results/nlcen_jsrt/<version>/campaign``).
"""

from __future__ import annotations

import csv
import json
import os
import re
import statistics
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from nlcen_monai.reports import markdown_block
from nlcen_monai.reports.clean_table import clean_figures
from nlcen_monai.reports.cli import report_parser
from nlcen_monai.reports.figures import Figure, MissingIntervals
from nlcen_monai.reports.model_differences import decision, paired_differences, per_image_scores
from nlcen_monai.robustness import read_per_image_csv, read_robustness_csv

__all__ = [
    "BEGIN_MARKER",
    "END_MARKER",
    "SCREEN_EPS",
    "WORST_CASE",
    "campaign_records",
    "campaign_table",
    "epoch_seconds",
    "screen_scores",
    "worst_case_differences",
    "main",
]

_EPOCH = re.compile(r"(\w*Trainer) - INFO - Epoch\[(\d+)\] Complete\. Time taken: (\d+):(\d+):([\d.]+)")
SCREEN_EPS = (8.0, 32.0)
"""The intensities of the screen (the worst case on the selection images)."""
BEGIN_MARKER = "<!-- campaign-table:begin -->"
END_MARKER = "<!-- campaign-table:end -->"
WORST_CASE = "worst_case"
"""The evaluated attack's name in the screen's record (``strong.json``'s worst case)."""


def epoch_seconds(log_path: os.PathLike | str) -> tuple[float | None, int]:
    """(median seconds per epoch after the first, number of epochs logged) from a training log.

    A resumed run logs its epochs again from the resumed one on: the last time logged for an epoch counts.

    Args:
        log_path: the run's ``train.log``; a missing one gives ``(None, 0)``.
    """
    if not os.path.isfile(log_path):
        return None, 0
    times: dict[int, float] = {}
    with open(log_path, encoding="utf-8", errors="replace") as f:
        for match in _EPOCH.finditer(f.read()):
            _, epoch, h, m, s = match.groups()
            times[int(epoch)] = int(h) * 3600 + int(m) * 60 + float(s)
    later = [t for e, t in times.items() if e > 1] or list(times.values())
    return (statistics.median(later) if later else None), len(times)


def screen_scores(folder: os.PathLike | str, attack: str | None = None) -> dict[float, Figure]:
    """{eps: DIC with its interval and n images} of the evaluation's attack (``attack``, or the only one in the table).

    Args:
        folder: the evaluation's output folder (its table is ``robustness/robustness.csv``).
        attack: the attack whose rows to read; None reads every row.
    """
    rows = read_robustness_csv(os.path.join(folder, "robustness", "robustness.csv"))
    return {r["eps"]: Figure.of_row(r) for r in rows if attack in (None, r["attack"])}


def worst_case_differences(record: os.PathLike | str, reference: os.PathLike | str) -> dict[float, Figure]:
    """{eps: the run's worst-case DIC minus the reference's} at the screen's intensities, paired over the images both
    records hold (:func:`~nlcen_monai.reports.model_differences.paired_differences`).

    Args:
        record: the folder of the run's per-image record (``OUT/<name>/worst/robustness``).
        reference: the folder of the reference's per-image record (a run's, or a committed one such as
            ``results/nlcen_jsrt/0.5.1/selection_budget/js300``, measured the same way).
    """
    run, ref = (
        per_image_scores(read_per_image_csv(os.path.join(folder, "robustness_per_image.csv")), WORST_CASE)
        for folder in (record, reference)
    )
    return {e: d for e, d in paired_differences(run, ref).items() if e in SCREEN_EPS}


def _columns(name: str, figure: Figure | None) -> dict[str, float | None]:
    """``{name: mean, name_low: low, name_high: high}`` of ``figure`` (all None without one)."""
    return {name: None if figure is None else figure.mean, f"{name}_low": None if figure is None else figure.low,
            f"{name}_high": None if figure is None else figure.high}


def _figure(record: Mapping[str, Any], name: str) -> Figure | None:
    """The figure :func:`_columns` put in ``record`` under ``name`` (None when the record has no mean)."""
    if record[name] is None:
        return None
    return Figure(record[name], record[f"{name}_low"], record[f"{name}_high"])


def _n(figures: Mapping[float, Figure], eps: float) -> int | None:
    return figures[eps].n if eps in figures else None


def _overrides(folder: str) -> str:
    path = os.path.join(folder, "overrides.txt")
    if not os.path.isfile(path):
        return ""
    with open(path, encoding="utf-8") as f:
        return f.read().strip()


def campaign_records(
    out: os.PathLike | str, runs: Iterable[str], reference: str | None = None, reference_record: os.PathLike | str | None = None
) -> list[dict[str, Any]]:
    """One record per run (each once, in order): overrides, epochs, clean DIC on the validation cases and on the
    whole test set, the screen's worst case, its paired difference to ``reference``, epoch times.

    Args:
        out: the campaign folder (``defense_campaign.sh --out``).
        runs: the run names, in table order.
        reference: the name of the run the differences are taken against (its own line has none); None: no
            differences.
        reference_record: the folder of the reference's per-image record (default: its run's screen,
            ``OUT/<reference>/worst/robustness``).
    """
    if reference is not None and reference_record is None:
        reference_record = os.path.join(out, reference, "worst", "robustness")
    records = []
    for name in dict.fromkeys(runs):
        folder = os.path.join(out, name)
        val_dice, val_iou = clean_figures(os.path.join(folder, "eval_val"))
        dice, iou = clean_figures(os.path.join(folder, "eval_clean"))
        seconds, epochs = epoch_seconds(os.path.join(folder, "train.log"))
        worst = screen_scores(os.path.join(folder, "worst"), WORST_CASE)
        differences = {}
        if reference is not None and name != reference:
            differences = worst_case_differences(os.path.join(folder, "worst", "robustness"), reference_record)
        records.append({
            "run": name, "overrides": _overrides(folder), "epochs": epochs,
            **_columns("val_dice", val_dice), **_columns("val_jaccard", val_iou), "val_images": None if val_dice is None else val_dice.n,
            **_columns("clean_dice", dice), **_columns("clean_jaccard", iou), "clean_images": None if dice is None else dice.n,
            **{k: v for e in SCREEN_EPS for k, v in _columns(f"worst_dice_eps{e:g}", worst.get(e)).items()},
            "worst_images": _n(worst, SCREEN_EPS[0]),
            "reference": reference if reference != name else None,
            **{k: v for e in SCREEN_EPS for k, v in _columns(f"diff_eps{e:g}", differences.get(e)).items()},
            **{f"decision_eps{e:g}": decision(differences.get(e)) for e in SCREEN_EPS},
            "diff_images": _n(differences, SCREEN_EPS[0]),
            "seconds_per_epoch": seconds,
        })
    clean_run = next((r["seconds_per_epoch"] for r in records if r["run"] == "clean"), None)
    for r in records:
        ok = clean_run and r["seconds_per_epoch"]
        r["epoch_ratio"] = r["seconds_per_epoch"] / clean_run if ok else None
    return records


def _fmt(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _means(record: Mapping[str, Any], names: Sequence[str], n: int | None, missing: MissingIntervals) -> str:
    """``a [lo, hi] / b [lo, hi] (n N)``: the record's means under ``names`` with their intervals, then n."""
    figures = [_figure(record, name) for name in names]
    means = " / ".join("-" if f is None else missing.interval(f, record["run"]) for f in figures)
    return means if n is None else f"{means} (n {n})"


def _differences(record: Mapping[str, Any], missing: MissingIntervals) -> str:
    """The paired differences to the reference with their decisions, ``-`` for the reference itself or without one."""
    if record["reference"] is None:
        return "-"
    cells = []
    for e in SCREEN_EPS:
        figure = _figure(record, f"diff_eps{e:g}")
        cell = "-" if figure is None else missing.interval(figure, record["run"], digits=4, sign=True)
        cells.append(f"{cell} {record[f'decision_eps{e:g}']}".rstrip())
    n = record["diff_images"]
    return " / ".join(cells) + ("" if n is None else f" (n {n})")


def campaign_table(records: Sequence[Mapping[str, Any]], screen: Mapping[str, Any], reference: str | None = None) -> list[str]:
    """The markdown lines of the table (each mean with its interval and n), the line naming the runs whose means
    have no interval (none when all have one) and the sentence on the screen below it.

    Args:
        records: from :func:`campaign_records`.
        screen: the campaign's ``screen.json`` (its ``test_list``).
        reference: the run the records' differences were taken against (:func:`campaign_records`), for the header.
    """
    lines = [
        "| run | overrides | epochs | clean DIC / JSC, validation (n) | clean DIC / JSC, all test (n) "
        f"| worst case eps 8 / 32, selection (n) | minus {reference or 'the reference'}, eps 8 / 32 (n) "
        "| s per epoch | x clean |",
        "|---|---|---:|---|---|---|---|---:|---:|",
    ]
    missing = MissingIntervals()
    for r in records:
        val = _means(r, ("val_dice", "val_jaccard"), r["val_images"], missing)
        clean = _means(r, ("clean_dice", "clean_jaccard"), r["clean_images"], missing)
        worst = _means(r, [f"worst_dice_eps{e:g}" for e in SCREEN_EPS], r["worst_images"], missing)
        lines.append(
            f"| {r['run']} | `{r['overrides']}` | {r['epochs']} | {val} | {clean} | {worst} | {_differences(r, missing)} "
            f"| {_fmt(r['seconds_per_epoch'], 1)} | {_fmt(r['epoch_ratio'], 2)} |"
        )
    lines += missing.note()
    lines.append(
        f"\nscreen: the worst case of configs/attacks/strong.json with configs/attacks/budget_js300.json on the test "
        f"images `{screen['test_list'].lstrip('$')}`, without the gradient-masking checks: an upper bound, measured the "
        "same way for every run. Differences are paired over the images both runs' screens hold; better / worse only "
        "where the 95 % interval excludes zero."
    )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: write ``OUT/campaign.csv`` (not with ``--check``), print the table of ``--runs``, and write
    or check a document's block.

    Args:
        argv: the arguments (default: ``sys.argv[1:]``).
    """
    parser = report_parser("nlcen_monai.reports.campaign_table", __doc__)
    parser.add_argument("out", help="the campaign folder (defense_campaign.sh --out)")
    parser.add_argument("--runs", nargs="+", required=True, help="run names, in table order")
    parser.add_argument(
        "--reference", default=None, metavar="NAME[=RECORD]",
        help="the run the worst case's paired differences are taken against: a run of OUT (its screen's record), or "
        "a name and the folder of a per-image record measured the same way (e.g. at32_mix_rand="
        "results/nlcen_jsrt/0.5.1/selection_budget/js300); default: none; ignored when the record is not there",
    )
    markdown_block.add_block_options(parser, BEGIN_MARKER, END_MARKER)
    args = parser.parse_args(argv)
    reference, record = (args.reference.split("=", 1) + [None])[:2] if args.reference else (None, None)
    record = record or (None if reference is None else os.path.join(args.out, reference, "worst", "robustness"))
    if record is not None and not os.path.isfile(os.path.join(record, "robustness_per_image.csv")):
        print(f"no per-image record at {record}: no differences to the reference {reference}", file=sys.stderr)
        reference = record = None
    records = campaign_records(args.out, args.runs, reference, record)
    if not args.check:  # a check reads the records only
        with open(os.path.join(args.out, "campaign.csv"), "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=list(records[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(records)
    with open(os.path.join(args.out, "screen.json"), encoding="utf-8") as f:
        screen = json.load(f)
    lines = campaign_table(records, screen, reference)
    print("\n".join(lines))
    table = "\n".join(lines[: next(i for i, line in enumerate(lines) if line.startswith("\nscreen:"))])
    return markdown_block.write_or_check(table, BEGIN_MARKER, END_MARKER, args.write, args.check, "campaign table")


if __name__ == "__main__":
    sys.exit(main())
