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
"""Is NLCE's gain larger than the spread between training seeds? One table per baseline pair.

For each run folder (``SEED=DIR``: a dataset folder of ``benchmarks/reproduce_baselines.sh`` such as
``runs/baselines/jsrt``, holding ``NET/eval/robustness/robustness_per_image.csv`` and
``NET_nlce/...``) and each network, the DIC of one attack per intensity without and with NLCE, and the
gain (with - without), recomputed from the per-image rows over the images that every run and both
models scored at every intensity they share (two runs attacked on different subsets are compared on
the images they share; an evaluation still running counts only its images attacked at every intensity).
Each DIC carries its 95 % bootstrap interval over those images, and each gain the paired interval of the
per-image differences (:func:`~nlcen_monai.metrics.paired_difference_interval`); n is in the caption.
The last columns are the spread of each model between the seeds and the range of the gain::

    python -m nlcen_monai.reports.seed_spread seed0=runs/baselines/jsrt seed1=runs/baselines_seed1/jsrt --networks cdnn
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from nlcen_monai.reports.cli import named_folders, report_parser
from nlcen_monai.reports.figures import Figure
from nlcen_monai.robustness import ResultFiles, read_per_image_csv, table_rows

__all__ = ["per_image", "spread_table", "main"]


def per_image(run_dir: Path, name: str, attack: str) -> list[dict]:
    """The per-image rows of ``attack`` in ``run_dir/name/eval/robustness``.

    Raises:
        FileNotFoundError: when the model has no per-image rows there.
    """
    path = ResultFiles.in_dir(run_dir / name / "eval" / "robustness").per_image
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: is {name} evaluated in {run_dir}?")
    return [r for r in read_per_image_csv(path) if r["attack"] == attack]


def _complete_cases(rows: list[dict], epsilons: list[float]) -> set[str]:
    """The cases of ``rows`` that have a row at each of ``epsilons``."""
    scored: dict[str, set[float]] = {}
    for r in rows:
        scored.setdefault(str(r["case_id"]), set()).add(r["eps"])
    return {case for case, eps in scored.items() if set(epsilons) <= eps}


def _scores(rows: list[dict], cases: set[str]) -> dict[float, list[float]]:
    """{eps: the Dice of each of ``cases``, in the cases' sorted order} of ``rows`` (the pairs of a paired difference)."""
    by_eps: dict[float, dict[str, float]] = {}
    for r in rows:
        if str(r["case_id"]) in cases:
            by_eps.setdefault(r["eps"], {})[str(r["case_id"])] = float(r["dice"])
    return {eps: [values[c] for c in sorted(cases)] for eps, values in by_eps.items()}


def spread_table(runs: dict[str, Path], network: str, attack: str) -> list[str]:
    """The markdown lines of one network's table (header, one row per intensity).

    Args:
        runs: ``{seed name: run folder}``.
        network: the baseline; its twin with NLCE is ``<network>_nlce``.
        attack: the attack whose rows to compare.

    Raises:
        ValueError: when the runs share no image scored at every intensity.
    """
    rows = {(seed, m): per_image(d, m, attack) for seed, d in runs.items() for m in (network, f"{network}_nlce")}
    epsilons = sorted(set.intersection(*({r["eps"] for r in rs} for rs in rows.values())))
    # an image counts when every run and model scored it at every one of those intensities: a store that
    # is still running has the clean row of every image but the attacked rows of some
    cases = set.intersection(*(_complete_cases(rs, epsilons) for rs in rows.values()))
    if not cases:
        raise ValueError(f"{network}: the runs share no image scored at every intensity.")
    dice = {key: {r["eps"]: Figure.of_row(r) for r in table_rows(rs, cases)} for key, rs in rows.items()}
    scores = {key: _scores(rs, cases) for key, rs in rows.items()}
    seeds = list(runs)
    head = [f"{s}: w/o / with / gain" for s in seeds] + ["w/o spread", "with spread", "gain range"]
    lines = [
        f"**{network}**, {attack}, DIC [95 % interval] over the {len(cases)} images every run scored at every intensity; "
        "gain: with - without, with the paired interval over those images",
        "",
        "| eps | " + " | ".join(head) + " |",
        "|---:|" + "---:|" * len(head),
    ]
    for eps in epsilons:
        without_figures = [dice[(s, network)][eps] for s in seeds]
        with_figures = [dice[(s, f"{network}_nlce")][eps] for s in seeds]
        without, with_ = [f.mean for f in without_figures], [f.mean for f in with_figures]
        gains = [b - a for a, b in zip(without, with_)]
        paired = [Figure.paired(scores[(s, f"{network}_nlce")][eps], scores[(s, network)][eps]) for s in seeds]
        cells = [
            f"{a.interval()} / {b.interval()} / {Figure(g, p.low, p.high, p.n).interval(sign=True)}"
            for a, b, g, p in zip(without_figures, with_figures, gains, paired)
        ]
        cells += [f"{max(without) - min(without):.3f}", f"{max(with_) - min(with_):.3f}", f"{min(gains):+.3f} .. {max(gains):+.3f}"]
        lines.append(f"| {eps:g} | " + " | ".join(cells) + " |")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: print one table per network of ``--networks``.

    Args:
        argv: the arguments (default: ``sys.argv[1:]``).
    """
    parser = report_parser("nlcen_monai.reports.seed_spread", __doc__)
    parser.add_argument("runs", nargs="+", metavar="SEED=DIR", help="run folders, e.g. seed0=runs/baselines/jsrt")
    parser.add_argument("--networks", nargs="+", required=True, help="baselines whose NET and NET_nlce to compare")
    parser.add_argument("--attack", default="targeted_ifgsm", help="attack rows to compare (default: the paper's)")
    args = parser.parse_args(argv)
    runs = {seed: Path(folder) for seed, folder in named_folders(parser, args.runs, "SEED=DIR").items()}
    for network in args.networks:
        print("\n".join(spread_table(runs, network, args.attack)) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
