"""Print the worst-case robustness tables that BENCHMARKS.md records, from each model's ``robustness.json``.

For every model folder given (``NAME=DIR``, ``DIR`` holding the ``robustness.json`` and
``robustness_per_image.csv`` that ``configs/attacks/strong.json`` writes), three markdown tables:

1. DIC per intensity: the paper's attack, each strong attack on its own (``n`` = images it had to
   attack: the others were already broken), the worst case per image over all of them, and the
   attack that gave the worst case on most images;
2. the four gradient-masking checks with their numbers, and the verdict;
3. the cost: passes of the network per image and intensity, run and saved by the skipping.

With ``--common-cases`` the DIC of table 1 are recomputed from the per-image CSVs over the images that
every model's worst case attacked (runs on different subsets of a test set, e.g. ``--test-every 3`` on a
GPU and ``--test-every 9`` on a CPU, compared on the same images); the checks and costs stay each run's own.

Usage::

    python benchmarks/worst_case_table.py nlcen=runs/jsrt128/nlcen/eval/robustness unet=runs/jsrt128/unet/eval/robustness
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from nlcen_monai.robustness import (  # noqa: E402
    CHECK_NAMES,
    read_per_image_csv,
    read_robustness_json,
    rows_over_cases,
)


def load(folder: str) -> tuple[dict, list[dict]]:
    report = read_robustness_json(os.path.join(folder, "robustness.json"))
    if not report:
        raise SystemExit(f"{folder}: no robustness.json")
    return report, read_per_image_csv(os.path.join(folder, "robustness_per_image.csv"))


def worst_attack(per_image: list[dict], attack: str, eps: float) -> str:
    """The member named most often as the source of the worst case at ``eps`` ('@' marks one inherited from a smaller eps)."""
    sources = Counter(r["source"] for r in per_image if r["attack"] == attack and r["eps"] == eps)
    if not sources:
        return "-"
    name, count = sources.most_common(1)[0]
    return f"{name} ({count}/{sum(sources.values())})"


def check_cell(check: dict) -> str:
    passed = {True: "pass", False: "**FAIL**", None: "not run"}[check.get("passed")]
    if "max_rise" in check and check.get("max_rise") is not None:
        return f"{passed} (max rise {check['max_rise']:+.3f})"
    if "dice" in check and "max_dice" in check:
        return f"{passed} (DIC {check['dice']:.3f})" if check["dice"] is not None else passed
    if "max_drop" in check:
        return f"{passed} (drop {check['max_drop']:.3f} at eps {', '.join(check['per_eps'])})"
    return passed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="+", metavar="NAME=DIR", help="model name and its robustness folder")
    parser.add_argument(
        "--common-cases",
        action="store_true",
        help="recompute the DIC over the images that every model's worst case attacked",
    )
    args = parser.parse_args()
    models = dict(m.split("=", 1) for m in args.models)
    loaded = {name: load(folder) for name, folder in models.items()}
    common = None
    if args.common_cases:
        attacked = [
            {r["case_id"] for r in per_image if r["attack"] == report.get("attack", "worst_case")}
            for report, per_image in loaded.values()
        ]
        common = set.intersection(*attacked)
        print(f"\nDIC over the {len(common)} images that every model's worst case attacked\n")

    for name, (report, per_image) in loaded.items():
        table = report["rows"]
        if common is not None:  # the means and the "worst on most images" counts over the common images
            per_image = [r for r in per_image if r["case_id"] in common]
            table = rows_over_cases(per_image, common)
        rows = {(r["attack"], r["eps"]): r for r in table}
        attack = report.get("attack", "worst_case")
        members = [m["name"] for m in report.get("settings", {}).get("attack", {}).get("members", [])]
        eps_list = sorted(e for (a, e) in rows if a == attack)
        print(f"\n**{name}**: DIC (n images attacked) per intensity; eps 0 = clean\n")
        print("| attack | " + " | ".join(f"eps {e:g}" for e in eps_list) + " |")
        print("|---|" + "---:|" * len(eps_list))
        for a in [*members, attack]:
            cells = []
            for e in eps_list:
                r = rows.get((a, e)) or (rows.get((attack, 0.0)) if e == 0 else None)
                cells.append("-" if r is None else f"{r['dice']:.3f} ({r['n_images']})")
            label = f"**{a}**" if a == attack else a
            print(f"| {label} | " + " | ".join(cells) + " |")
        print("| worst on most images | " + " | ".join(worst_attack(per_image, attack, e) if e > 0 else "-" for e in eps_list) + " |")

    print("\nGradient-masking checks\n")
    print("| model | " + " | ".join(CHECK_NAMES) + " | verdict |")
    print("|---|" + "---|" * (len(CHECK_NAMES) + 1))
    for name, (report, _) in loaded.items():
        checks = report.get("checks") or {}
        print(f"| {name} | " + " | ".join(check_cell(checks.get(c, {})) for c in CHECK_NAMES) + f" | {report.get('verdict', '')} |")

    print("\nCost: forward(-backward) passes of the network and wall time (all runs of the evaluation summed, checks included)\n")
    print("| model | images | intensities | passes run | passes saved by skipping | seconds | seconds per image and intensity |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, (report, _) in loaded.items():
        passes, attack = report.get("passes", {}), report.get("attack", "worst_case")
        clean = [r for r in report["rows"] if r["attack"] == attack and r["eps"] == 0]
        n = clean[0]["n_images"] if clean else max((r["n_images"] for r in report["rows"]), default=0)
        n_eps = len({r["eps"] for r in report["rows"] if r["attack"] == attack and r["eps"] > 0})
        seconds = passes.get("seconds", 0.0)
        per = seconds / (n * n_eps) if n and n_eps else float("nan")
        print(f"| {name} | {n} | {n_eps} | {passes.get('run', 0):.0f} | {passes.get('saved', 0):.0f} | {seconds:.0f} | {per:.1f} |")


if __name__ == "__main__":
    main()
