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
"""Command line of the comparison runner: ``python -m nlcen_monai.compare --help`` (usage in docs/compare.md)."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Sequence

from .ablation import ablation_specs
from .runner import ComparisonRunner
from .spec import parse_assignments, parse_spec

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m nlcen_monai.compare``."""
    p = argparse.ArgumentParser(
        prog="python -m nlcen_monai.compare",
        description="Train, attack and compare configurations of a bundle; draw the paper's Figures 4-5, 7 and 8.",
    )
    p.add_argument("--bundle", required=True, help="bundle folder, e.g. bundles/nlcen_jsrt")
    p.add_argument("--out", required=True, help="output folder; configuration NAME writes to OUT/NAME/")
    p.add_argument(
        "--configs", nargs="+", default=[], metavar="[NAME=]FILE[+FILE...]",
        help="configurations to compare (--protocol configs), e.g. configs/networks/unet.json",
    )
    p.add_argument(
        "--protocol", choices=("configs", "ablation"), default="configs",
        help="'ablation': train wo_nlce, fine-tune wo_nl/wo_ce/nlcen frozen from it, then nlcen unfrozen",
    )
    p.add_argument(
        "--extra-override", nargs="+", default=[], metavar="FILE",
        help="override files stacked last, e.g. configs/demo.json",
    )
    p.add_argument(
        "--set", nargs="+", default=[], metavar="KEY=VALUE", help="config overrides for every run (values read as JSON)"
    )
    p.add_argument(
        "--eval-set", nargs="+", default=[], metavar="KEY=VALUE",
        help="overrides for the evaluations only (e.g. test_list, validate#dataloader#batch_size): not part of "
        "training.json, so changing them keeps a finished training and resumes a stopped one",
    )
    p.add_argument(
        "--finetune-set", nargs="+", default=[], metavar="KEY=VALUE",
        help="overrides for the ablation's fine-tuning runs only",
    )
    p.add_argument(
        "--configs-root",
        default=None,
        help="folder with networks/ and ablation/ (default: the checkout's configs/, or the copy installed with the package)",
    )
    p.add_argument("--epsilons", nargs="+", type=float, default=None, help="intensities (default: the bundle's)")
    p.add_argument("--attacks", nargs="+", default=None, help="attack names (default: the bundle's attack)")
    train = p.add_mutually_exclusive_group()
    train.add_argument("--skip-train", action="store_true", help="reuse OUT/NAME/models/model.pt")
    train.add_argument(
        "--resume-train", action="store_true",
        help="keep a finished training and continue a stopped one from its last checkpoint_epoch=N.pt, when "
        "OUT/NAME/models/training.json shows the same config files and overrides (else train from scratch)",
    )
    p.add_argument("--skip-eval", action="store_true", help="reuse OUT/NAME/eval/robustness/robustness.csv")
    p.add_argument(
        "--eval-procs", type=int, default=1, metavar="N",
        help="run each evaluation under torchrun with N processes (GPUs, or CPU processes with gloo), the test "
        "cases sharded over them by the bundle's multi_gpu_adversarial.json; the trainings stay in one process",
    )
    return p


def main(argv: Sequence[str] | None = None) -> dict:
    """Run the comparison described by ``argv``; return the paths written (CSV and figures)."""
    args = build_parser().parse_args(argv)
    runner = ComparisonRunner(
        args.bundle,
        args.out,
        extra_overrides=args.extra_override,
        overrides=parse_assignments(args.set),
        eval_overrides=parse_assignments(args.eval_set),
        attacks=args.attacks,
        epsilons=args.epsilons,
        skip_train=args.skip_train,
        skip_eval=args.skip_eval,
        resume_train=args.resume_train,
        eval_procs=args.eval_procs,
    )
    if args.protocol == "ablation":
        if args.configs:
            raise SystemExit("--configs and --protocol ablation exclude each other.")
        specs = ablation_specs(lambda n: runner.ckpt_dir(n) / "model.pt", args.configs_root, parse_assignments(args.finetune_set))
    else:
        if not args.configs:
            raise SystemExit("give --configs FILE [FILE ...] or --protocol ablation.")
        specs = [parse_spec(c) for c in args.configs]
    start = time.perf_counter()
    result = runner.run(specs)
    elapsed = time.perf_counter() - start
    logging.getLogger(__name__).info(f"comparison of {len(specs)} configurations done in {elapsed:.1f} s.")
    print(f"table: {result['csv']}")
    for attack, figures in result["figures"].items():
        for kind, path in figures.items():
            print(f"figure ({attack}, {kind}): {path}")
    return result


if __name__ == "__main__":
    logging.basicConfig(
        level=logging.INFO, stream=sys.stdout, format="%(asctime)s - %(name)s - %(levelname)s - %(message)s"
    )
    main()
