"""Print a comparison CSV (from ``python -m nlcen_monai.compare``) as the markdown table BENCHMARKS.md records.

One row per (attack, eps), one DIC/JSC column pair per configuration; eps 0 is the clean score.

Usage::

    python benchmarks/robustness_table.py runs/jsrt/comparison.csv --size 128
"""

from __future__ import annotations

import argparse
import csv
from collections import defaultdict


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("csv", help="comparison.csv written by nlcen_monai.compare")
    parser.add_argument("--size", type=int, default=None, help="image side the models ran at, printed in the header")
    args = parser.parse_args()

    with open(args.csv) as f:
        rows = list(csv.DictReader(f))
    configs = list(dict.fromkeys(r["config"] for r in rows))
    table: dict[tuple[str, float], dict[str, tuple[float, float, int]]] = defaultdict(dict)
    for r in rows:
        table[(r["attack"], float(r["eps"]))][r["config"]] = (float(r["dice"]), float(r["jaccard"]), int(r["n_images"]))

    size = f" at {args.size} x {args.size}" if args.size else ""
    print(f"DIC / JSC per configuration{size}; eps 0 = clean; n = test images per cell\n")
    print("| attack | eps | " + " | ".join(f"{c} DIC | {c} JSC" for c in configs) + " | n |")
    print("|---|---:|" + "---:|---:|" * len(configs) + "---:|")
    for (attack, eps) in sorted(table, key=lambda k: (k[0] != "targeted_ifgsm", k[0], k[1])):
        cells = table[(attack, eps)]
        values = " | ".join(
            f"{cells[c][0]:.3f} | {cells[c][1]:.3f}" if c in cells else "- | -" for c in configs
        )
        n = sorted({v[2] for v in cells.values()})
        print(f"| {attack} | {eps:g} | {values} | {'/'.join(map(str, n))} |")


if __name__ == "__main__":
    main()
