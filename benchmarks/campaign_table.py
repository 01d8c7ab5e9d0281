"""Print the defense campaign's table (``benchmarks/defense_campaign.sh``), one line per run, and write ``campaign.csv``.

For each run folder ``OUT/<name>`` it reads what the campaign script left there:

- ``overrides.txt``: the bundle overrides of the run;
- ``eval_clean/metrics.csv``: clean DIC/JSC on the whole test set (``evaluate.json``'s ``MetricsSaver``);
- ``screen/robustness/robustness.csv``: the screen's DIC per intensity (eps 0 = clean on the screened images);
- ``worst/robustness/robustness.csv`` (finalists only): the worst case of ``configs/attacks/strong.json`` at
  eps 8 and 32 on the same images, without the gradient-masking checks (an upper bound);
- ``train.log``: Ignite's ``Epoch[N] Complete. Time taken: ...`` lines of the trainer (validation included).

Seconds per epoch are the median over the epochs after the first (which carries the start-up); the ratio is
against the undefended ``clean`` run's median when it is in the table. Runs that share the CPU with other
jobs have noisy epoch times: a ratio measured side by side in one process is ``benchmarks/train_step.py
--adversarial``.

Usage::

    python benchmarks/campaign_table.py runs/campaign --runs clean at8 at32_mix
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from nlcen_monai.robustness import read_robustness_csv  # noqa: E402

_EPOCH = re.compile(r"(\w*Trainer) - INFO - Epoch\[(\d+)\] Complete\. Time taken: (\d+):(\d+):([\d.]+)")
SCREEN_EPS = (8.0, 32.0)


def clean_scores(folder: str) -> tuple[float | None, float | None]:
    """Clean (DIC, JSC) from a ``MetricsSaver`` ``metrics.csv`` (``name,value`` lines)."""
    path = os.path.join(folder, "metrics.csv")
    if not os.path.isfile(path):
        return None, None
    with open(path, newline="", encoding="utf-8") as f:
        values = {row[0]: row[1] for row in csv.reader(f) if len(row) >= 2}
    dice, iou = values.get("val_mean_dice"), values.get("val_mean_iou")
    return (None if dice is None else float(dice)), (None if iou is None else float(iou))


def epoch_seconds(log_path: str) -> tuple[float | None, int]:
    """(median seconds per epoch after the first, number of epochs logged) from a training log.

    A resumed run logs its epochs again from the resumed one on: the last time logged for an epoch counts.
    """
    if not os.path.isfile(log_path):
        return None, 0
    times: dict[int, float] = {}
    for match in _EPOCH.finditer(open(log_path, encoding="utf-8", errors="replace").read()):
        _, epoch, h, m, s = match.groups()
        times[int(epoch)] = int(h) * 3600 + int(m) * 60 + float(s)
    later = [t for e, t in times.items() if e > 1] or list(times.values())
    return (statistics.median(later) if later else None), len(times)


def screen_scores(folder: str, attack: str | None = None) -> dict[float, tuple[float, int]]:
    """{eps: (DIC, n images)} of the evaluation's attack (``attack``, or the only one in the table)."""
    rows = read_robustness_csv(os.path.join(folder, "robustness", "robustness.csv"))
    return {r["eps"]: (r["dice"], r["n_images"]) for r in rows if attack in (None, r["attack"])}


def fmt(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", help="the campaign folder (defense_campaign.sh --out)")
    parser.add_argument("--runs", nargs="+", required=True, help="run names, in table order")
    args = parser.parse_args(argv)

    records = []
    for name in dict.fromkeys(args.runs):  # in order, each run once
        folder = os.path.join(args.out, name)
        overrides_path = os.path.join(folder, "overrides.txt")
        overrides = open(overrides_path, encoding="utf-8").read().strip() if os.path.isfile(overrides_path) else ""
        dice, iou = clean_scores(os.path.join(folder, "eval_clean"))
        seconds, epochs = epoch_seconds(os.path.join(folder, "train.log"))
        screen = screen_scores(os.path.join(folder, "screen"))
        worst = screen_scores(os.path.join(folder, "worst"), "worst_case")
        records.append({
            "run": name, "overrides": overrides, "epochs": epochs, "clean_dice": dice, "clean_jaccard": iou,
            **{f"screen_dice_eps{e:g}": screen.get(e, (None, 0))[0] for e in (0.0, *SCREEN_EPS)},
            "screen_images": screen.get(SCREEN_EPS[0], (None, 0))[1],
            **{f"worst_dice_eps{e:g}": worst.get(e, (None, 0))[0] for e in SCREEN_EPS},
            "seconds_per_epoch": seconds,
        })
    reference = next((r["seconds_per_epoch"] for r in records if r["run"] == "clean"), None)
    for r in records:
        ok = reference and r["seconds_per_epoch"]
        r["epoch_ratio"] = r["seconds_per_epoch"] / reference if ok else None

    with open(os.path.join(args.out, "campaign.csv"), "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(records[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)

    print("| run | overrides | epochs | clean DIC / JSC (all test) | screen eps 0 / 8 / 32 (n) | worst case eps 8 / 32 "
          "| s per epoch | x clean |")
    print("|---|---|---:|---|---|---|---:|---:|")
    for r in records:
        screen = " / ".join(fmt(r[f"screen_dice_eps{e:g}"]) for e in (0.0, *SCREEN_EPS))
        worst = " / ".join(fmt(r[f"worst_dice_eps{e:g}"]) for e in SCREEN_EPS)
        print(
            f"| {r['run']} | `{r['overrides']}` | {r['epochs']} | {fmt(r['clean_dice'])} / {fmt(r['clean_jaccard'])} "
            f"| {screen} ({r['screen_images']}) | {worst} | {fmt(r['seconds_per_epoch'], 1)} | {fmt(r['epoch_ratio'], 2)} |"
        )
    screen = json.load(open(os.path.join(args.out, "screen.json"), encoding="utf-8"))
    print(
        f"\nscreen: APGD-{screen['attack']['loss'].upper()} ({screen['attack']['iterations']} iterations, 1 restart) on "
        f"the test images {screen['test_list'].rsplit('[', 1)[-1].rstrip(']')} of the datalist: an upper bound that ranks "
        "the runs, not a robustness figure (no worst case, no gradient-masking checks). Worst case: "
        "configs/attacks/strong.json at its default budget on the same images, without the checks: an upper bound too."
    )


if __name__ == "__main__":
    main()
