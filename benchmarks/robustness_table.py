"""Print a comparison CSV (from ``python -m nlcen_monai.compare``) as the markdown table BENCHMARKS.md records.

One row per (attack, eps), one DIC/JSC column pair per configuration; eps 0 is the clean score. A cell
marked † is an upper bound: its ``checks`` column says the gradient-masking checks failed or did not
run at that intensity (the paper's attack alone runs no checks, so all its adversarial cells are marked).

Usage::

    python benchmarks/robustness_table.py runs/jsrt/comparison.csv --size 128
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
from collections import defaultdict

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from nlcen_monai.robustness import eps_key, format_eps, is_upper_bound  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("csv", help="comparison.csv written by nlcen_monai.compare")
    parser.add_argument("--size", type=int, default=None, help="image side the models ran at, printed in the header")
    args = parser.parse_args()

    with open(args.csv) as f:
        rows = list(csv.DictReader(f))
    configs = list(dict.fromkeys(r["config"] for r in rows))
    table: dict[tuple[str, float], dict[str, tuple[float, float, int, bool]]] = defaultdict(dict)
    for r in rows:
        eps = eps_key(r["eps"])
        bound = is_upper_bound(r.get("checks"), eps)
        table[(r["attack"], eps)][r["config"]] = (float(r["dice"]), float(r["jaccard"]), int(r["n_images"]), bound)

    size = f" at {args.size} x {args.size}" if args.size else ""
    print(f"DIC / JSC per configuration{size}; eps 0 = clean; n = test images per cell; "
          "† = an upper bound (gradient-masking checks failed or not run at that intensity)\n")
    print("| attack | eps | " + " | ".join(f"{c} DIC | {c} JSC" for c in configs) + " | n |")
    print("|---|---:|" + "---:|---:|" * len(configs) + "---:|")
    for (attack, eps) in sorted(table, key=lambda k: (k[0] != "targeted_ifgsm", k[0], k[1])):
        cells = table[(attack, eps)]
        values = " | ".join(
            "{0:.3f}{2} | {1:.3f}{2}".format(*cells[c][:2], " †" if cells[c][3] else "") if c in cells else "- | -"
            for c in configs
        )
        n = sorted({v[2] for v in cells.values()})
        print(f"| {attack} | {format_eps(eps)} | {values} | {'/'.join(map(str, n))} |")


if __name__ == "__main__":
    main()
