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
- ``eval_clean/metrics.csv``: clean DIC/JSC on the whole test set (``evaluate.json``'s ``MetricsSaver``), with the
  per-image scores beside it (``val_mean_dice_raw.csv``, ``val_mean_iou_raw.csv``) for n and the intervals;
- ``screen/robustness/robustness.csv``: the screen's DIC per intensity (eps 0 = clean on the screened images);
- ``worst/robustness/robustness.csv`` (finalists only): the worst case of ``configs/attacks/strong.json`` at
  eps 8 and 32 on the same images, without the gradient-masking checks (an upper bound);
- ``train.log``: Ignite's ``Epoch[N] Complete. Time taken: ...`` lines of the trainer (validation included).

Every mean carries n and its 95 % bootstrap interval over the images (in ``campaign.csv``: the columns
``<name>_low`` and ``<name>_high``, and ``clean_images``, ``screen_images``, ``worst_images``); a run whose
records hold no per-image values (an older run) gives the means alone, and a line below the table names it.

The epoch times come from the log because no record holds them: the campaign trains with ``monai.bundle
run`` directly, which writes no ``training.json``, and the ``training.json`` of ``nlcen_monai.compare``
(:class:`~nlcen_monai.compare.training_record.TrainingRecord`) keeps each run's total seconds, not the time of
each epoch. Seconds per epoch are the median over the epochs after the first (which carries the start-up); the
ratio is against the undefended ``clean`` run's median when it is in the table. Runs that share the CPU with
other jobs have noisy epoch times: a ratio measured side by side in one process is ``benchmarks/train_step.py
--adversarial``::

    python -m nlcen_monai.reports.campaign_table runs/campaign --runs clean at8 at32_mix
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

from nlcen_monai.reports.clean_table import clean_figures
from nlcen_monai.reports.cli import report_parser
from nlcen_monai.reports.figures import Figure, MissingIntervals
from nlcen_monai.robustness import read_robustness_csv

__all__ = ["SCREEN_EPS", "campaign_records", "campaign_table", "epoch_seconds", "screen_scores", "main"]

_EPOCH = re.compile(r"(\w*Trainer) - INFO - Epoch\[(\d+)\] Complete\. Time taken: (\d+):(\d+):([\d.]+)")
SCREEN_EPS = (8.0, 32.0)
"""The intensities of the screen and of the finalists' worst case."""


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


def campaign_records(out: os.PathLike | str, runs: Iterable[str]) -> list[dict[str, Any]]:
    """One record per run (each once, in order): overrides, epochs, clean, screen and worst-case DIC, epoch times.

    Args:
        out: the campaign folder (``defense_campaign.sh --out``).
        runs: the run names, in table order.
    """
    records = []
    for name in dict.fromkeys(runs):
        folder = os.path.join(out, name)
        dice, iou = clean_figures(os.path.join(folder, "eval_clean"))
        seconds, epochs = epoch_seconds(os.path.join(folder, "train.log"))
        screen = screen_scores(os.path.join(folder, "screen"))
        worst = screen_scores(os.path.join(folder, "worst"), "worst_case")
        records.append({
            "run": name, "overrides": _overrides(folder), "epochs": epochs,
            **_columns("clean_dice", dice), **_columns("clean_jaccard", iou), "clean_images": None if dice is None else dice.n,
            **{k: v for e in (0.0, *SCREEN_EPS) for k, v in _columns(f"screen_dice_eps{e:g}", screen.get(e)).items()},
            "screen_images": _n(screen, SCREEN_EPS[0]) or 0,
            **{k: v for e in SCREEN_EPS for k, v in _columns(f"worst_dice_eps{e:g}", worst.get(e)).items()},
            "worst_images": _n(worst, SCREEN_EPS[0]),
            "seconds_per_epoch": seconds,
        })
    reference = next((r["seconds_per_epoch"] for r in records if r["run"] == "clean"), None)
    for r in records:
        ok = reference and r["seconds_per_epoch"]
        r["epoch_ratio"] = r["seconds_per_epoch"] / reference if ok else None
    return records


def _fmt(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _means(record: Mapping[str, Any], names: Sequence[str], n: int | None, missing: MissingIntervals) -> str:
    """``a [lo, hi] / b [lo, hi] (n N)``: the record's means under ``names`` with their intervals, then n."""
    figures = [_figure(record, name) for name in names]
    means = " / ".join("-" if f is None else missing.interval(f, record["run"]) for f in figures)
    return means if n is None else f"{means} (n {n})"


def campaign_table(records: Sequence[Mapping[str, Any]], screen: Mapping[str, Any]) -> list[str]:
    """The markdown lines of the table (each mean with its interval and n), the line naming the runs whose means
    have no interval (none when all have one) and the sentence on the screen below it.

    Args:
        records: from :func:`campaign_records`.
        screen: the campaign's ``screen.json`` (its attack's ``loss`` and ``iterations``, and ``test_list``).
    """
    lines = [
        "| run | overrides | epochs | clean DIC / JSC [95 % interval] (n, all test) | screen eps 0 / 8 / 32 (n) "
        "| worst case eps 8 / 32 (n) | s per epoch | x clean |",
        "|---|---|---:|---|---|---|---:|---:|",
    ]
    missing = MissingIntervals()
    for r in records:
        clean = _means(r, ("clean_dice", "clean_jaccard"), r["clean_images"], missing)
        dic = _means(r, [f"screen_dice_eps{e:g}" for e in (0.0, *SCREEN_EPS)], r["screen_images"], missing)
        worst = _means(r, [f"worst_dice_eps{e:g}" for e in SCREEN_EPS], r["worst_images"], missing)
        lines.append(
            f"| {r['run']} | `{r['overrides']}` | {r['epochs']} | {clean} "
            f"| {dic} | {worst} | {_fmt(r['seconds_per_epoch'], 1)} | {_fmt(r['epoch_ratio'], 2)} |"
        )
    lines += missing.note()
    lines.append(
        f"\nscreen: APGD-{screen['attack']['loss'].upper()} ({screen['attack']['iterations']} iterations, 1 restart) on "
        f"the test images {screen['test_list'].rsplit('[', 1)[-1].rstrip(']')} of the datalist: an upper bound that ranks "
        "the runs, not a robustness figure (no worst case, no gradient-masking checks). Worst case: "
        "configs/attacks/strong.json at its default budget on the same images, without the checks: an upper bound too."
    )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: write ``OUT/campaign.csv`` and print the table of ``--runs``.

    Args:
        argv: the arguments (default: ``sys.argv[1:]``).
    """
    parser = report_parser("nlcen_monai.reports.campaign_table", __doc__)
    parser.add_argument("out", help="the campaign folder (defense_campaign.sh --out)")
    parser.add_argument("--runs", nargs="+", required=True, help="run names, in table order")
    args = parser.parse_args(argv)
    records = campaign_records(args.out, args.runs)
    with open(os.path.join(args.out, "campaign.csv"), "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(records[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)
    with open(os.path.join(args.out, "screen.json"), encoding="utf-8") as f:
        screen = json.load(f)
    print("\n".join(campaign_table(records, screen)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
