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
"""Train, attack and compare several configurations of one bundle; every configuration writes to ``OUT/<name>/``.

For each configuration the runner

1. trains with ``configs/train.json`` + the configuration's files (+ its training-only files)
   + the extra overrides, with ``ckpt_dir=OUT/<name>/models`` and ``output_dir=OUT/<name>/eval``
   (recorded in ``OUT/<name>/models/training.json``, so that a stopped training can be resumed);
2. evaluates clean (the ``eps = 0`` row) and attacked accuracy with ``configs/train.json`` +
   ``configs/adversarial.json`` + the same files and overrides, then the evaluation-only ones (which
   test cases, how many at a time: not training settings), once per attack, which writes
   ``OUT/<name>/eval/robustness/robustness.csv`` (and the bundle's own curves and panel);

then writes ``OUT/comparison.csv`` and the figures under ``OUT/figures/<attack>/``. With ``eval_procs`` > 1
the evaluations run under ``torchrun`` instead, the bundle's ``multi_gpu_adversarial.json`` sharding the
test cases over the processes (GPUs, or CPU processes with gloo); the trainings stay in this process.
"""

from __future__ import annotations

import gc
import logging
import os
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import monai.bundle

from nlcen_monai.robustness import ResultFiles, RobustnessResult
from nlcen_monai.utils import atomic_write_json

from .figures import draw_comparison_figures
from .results import comparison_rows, write_comparison_csv
from .spec import RunSpec, check_unique
from .training_record import TrainingRecord
from .describe import describe_network

__all__ = ["ComparisonRunner"]

logger = logging.getLogger(__name__)


def _run_bundle(config_files: Sequence[str], overrides: Mapping[str, Any]) -> None:
    """``python -m monai.bundle run --config_file "[...]" --key value ...``, in this process.

    The bundle's ``metadata.json`` and ``logging.conf`` come from the first file's folder, as on the
    command line; the engines' reference cycles are collected before the next run.
    """
    try:
        monai.bundle.run(config_file=list(config_files), **overrides)
    finally:
        gc.collect()


def _run_bundle_distributed(config_files: Sequence[str], overrides: Mapping[str, Any], nproc: int, args_file: Path) -> None:
    """``torchrun --standalone --nproc_per_node=nproc -m monai.bundle run --args_file args_file``, in child processes.

    ``args_file`` (MONAI's ``--args_file``: the same ids as on the command line) gets ``config_file`` and the
    overrides, and stays as the record of the run; ``--standalone`` picks a free port, so that several such
    runs can share a machine. The children inherit this process's environment (``OMP_NUM_THREADS`` included;
    ``torchrun`` sets 1 where it is unset). Raises ``subprocess.CalledProcessError`` when a process fails.
    """
    atomic_write_json(args_file, {"config_file": list(config_files), **overrides})
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}"]
    subprocess.run([*command, "-m", "monai.bundle", "run", "--args_file", str(args_file)], check=True)


class ComparisonRunner:
    """Run configurations of one MONAI bundle and draw the paper's comparison figures.

    Args:
        bundle: the bundle folder (with ``configs/train.json`` and ``configs/adversarial.json``).
        out_dir: the output folder; configuration ``name`` writes to ``out_dir/name/``.
        extra_overrides: override files stacked after each configuration's files (e.g. ``configs/demo.json``).
        overrides: ``{id: value}`` applied to every workflow, after all files.
        eval_overrides: ``{id: value}`` applied to the evaluations only, after ``overrides``: settings that
            do not change the trained model (``test_list``, the evaluation batch size), so that changing
            them neither retrains nor breaks a resume (they are not part of ``training.json``).
        attacks: attack names for ``adversarial.json``'s ``attack`` key; None: the bundle's default.
        epsilons: intensities for ``adversarial.json``'s ``epsilons`` key; None: the bundle's default.
        skip_train: reuse ``out_dir/name/models/model.pt`` instead of training.
        resume_train: keep a finished training and continue a stopped one (see :meth:`train`), instead
            of training every configuration from scratch.
        skip_eval: reuse ``out_dir/name/eval/robustness/robustness.csv`` instead of attacking.
        eval_procs: processes of each evaluation; more than 1 runs it under ``torchrun`` with the bundle's
            ``configs/multi_gpu_adversarial.json`` stacked last (its arguments in
            ``out_dir/name/eval/torchrun_args.json``). An image's results do not depend on it (up to rounding
            where the shards batch the images differently), and a stopped evaluation resumes with any number.
    """

    def __init__(
        self,
        bundle: str | os.PathLike,
        out_dir: str | os.PathLike,
        extra_overrides: Sequence[str | os.PathLike] = (),
        overrides: Mapping[str, Any] | None = None,
        eval_overrides: Mapping[str, Any] | None = None,
        attacks: Sequence[str] | None = None,
        epsilons: Sequence[float] | None = None,
        skip_train: bool = False,
        skip_eval: bool = False,
        resume_train: bool = False,
        eval_procs: int = 1,
    ) -> None:
        if eval_procs < 1:
            raise ValueError(f"eval_procs must be at least 1, got {eval_procs}.")
        self.configs_dir = Path(bundle) / "configs"
        for name in ("train.json", "adversarial.json", *(["multi_gpu_adversarial.json"] if eval_procs > 1 else [])):
            if not (self.configs_dir / name).is_file():
                raise FileNotFoundError(f"bundle '{bundle}' has no configs/{name}.")
        for f in extra_overrides:
            if not Path(f).is_file():
                raise FileNotFoundError(f"extra override file '{f}' does not exist.")
        self.out_dir = Path(out_dir)
        self.extra_overrides = [str(f) for f in extra_overrides]
        self.overrides = dict(overrides or {})
        self.eval_overrides = dict(eval_overrides or {})
        self.attacks = list(attacks) if attacks else [None]
        self.epsilons = None if epsilons is None else [float(e) for e in epsilons]
        self.skip_train = skip_train
        self.skip_eval = skip_eval
        self.resume_train = resume_train
        self.eval_procs = eval_procs

    def ckpt_dir(self, name: str) -> Path:
        """``out_dir/name/models``: the configuration's checkpoints (``model.pt`` is the best validation one)."""
        return self.out_dir / name / "models"

    def robustness_csv(self, name: str) -> Path:
        """``out_dir/name/eval/robustness/robustness.csv``: where ``adversarial.json`` writes the table."""
        return self.out_dir / name / "eval" / "robustness" / "robustness.csv"

    def _dirs(self, name: str) -> dict[str, str]:
        return {"ckpt_dir": str(self.ckpt_dir(name)), "output_dir": str(self.out_dir / name / "eval")}

    def _files(self, spec: RunSpec, *bundle_configs: str, train: bool = False) -> list[str]:
        own = [*spec.files, *(spec.train_files if train else [])]
        return [*(str(self.configs_dir / c) for c in bundle_configs), *own, *self.extra_overrides]

    def describe(self, spec: RunSpec) -> dict:
        """The configuration's network settings (``network``, ``nlce``, ``use_nonlocal``, ``use_context``)."""
        return describe_network(self._files(spec, "train.json"), self.overrides)

    def train(self, spec: RunSpec) -> Path:
        """Train ``spec`` and return its ``model.pt``; drops its old robustness results first.

        From scratch, unless ``resume_train`` and the checkpoint folder's ``training.json`` shows the same
        files and overrides: then a finished training is kept (with its results) and a stopped one goes on
        from its last interval checkpoint (the bundle's ``resume``).
        """
        files = self._files(spec, "train.json", train=True)
        overrides = {**self.overrides, **spec.train_overrides, **self._dirs(spec.name)}
        record = TrainingRecord(self.ckpt_dir(spec.name), files, overrides)
        state = record.state() if self.resume_train else "none"
        changes = record.changes() if self.resume_train else []
        if changes:
            logger.warning(
                f"{spec.name}: {record.path} was written with other settings, so the training starts over "
                "(its checkpoints and model.pt are replaced):\n  " + "\n  ".join(changes)
            )
        if state == "finished":
            logger.info(f"{spec.name}: already trained with these settings ({record.path}); kept.")
            return self.model_path(spec.name)
        results = ResultFiles.of_table(self.robustness_csv(spec.name))
        for stale in [results, *results.journals()]:
            if any(p is not None and p.exists() for p in (stale.csv, stale.json, stale.per_image)):
                logger.info(f"{spec.name}: removing the robustness results {stale} (they belong to the previous model).")
                stale.remove()
        from_epoch = 0
        if state == "stopped":
            from_epoch, last = record.resume()
            logger.info(f"{spec.name}: continuing the stopped training from {last}.")
            overrides["resume"] = True
        else:
            record.start()
        start = time.perf_counter()
        _run_bundle(files, overrides)
        elapsed = time.perf_counter() - start
        total = record.finish(elapsed)
        if from_epoch:
            logger.info(
                f"{spec.name}: trained from epoch {from_epoch} in {elapsed:.1f} s; "
                + ("its earlier runs' time is not recorded." if total is None else f"all its runs: {total:.1f} s.")
            )
        else:
            logger.info(f"{spec.name}: trained in {elapsed:.1f} s.")
        return self.model_path(spec.name)

    def model_path(self, name: str) -> Path:
        """``model.pt`` of a configuration; FileNotFoundError when it was not trained."""
        path = self.ckpt_dir(name) / "model.pt"
        if not path.is_file():
            raise FileNotFoundError(
                f"configuration {name!r} has no trained model '{path}'; train it (drop --skip-train)."
            )
        return path

    def evaluate(self, spec: RunSpec) -> list[dict]:
        """Evaluate ``spec``'s model clean and under every attack; return the rows of its robustness table."""
        self.model_path(spec.name)
        for attack in self.attacks:
            overrides = {**self.overrides, **self.eval_overrides, **self._dirs(spec.name)}
            if attack is not None:
                overrides["attack"] = attack
            if self.epsilons is not None:
                overrides["epsilons"] = self.epsilons
            files = self._files(spec, "train.json", "adversarial.json")
            start = time.perf_counter()
            if self.eval_procs > 1:
                files.append(str(self.configs_dir / "multi_gpu_adversarial.json"))
                args_file = self.out_dir / spec.name / "eval" / "torchrun_args.json"
                _run_bundle_distributed(files, overrides, self.eval_procs, args_file)
            else:
                _run_bundle(files, overrides)
            elapsed = time.perf_counter() - start
            procs = f" by {self.eval_procs} processes" if self.eval_procs > 1 else ""
            logger.info(f"{spec.name}: attack {attack or '(bundle default)'} evaluated{procs} in {elapsed:.1f} s.")
        return RobustnessResult.load(ResultFiles.of_table(self.robustness_csv(spec.name))).rows

    def run_one(self, spec: RunSpec) -> None:
        """Train (unless ``skip_train``) and evaluate (unless ``skip_eval``) one configuration."""
        if not self.skip_train:
            self.train(spec)
        if not self.skip_eval:
            self.evaluate(spec)

    def report(self, specs: Sequence[RunSpec]) -> dict[str, Any]:
        """Write ``out_dir/comparison.csv`` and the figures of every attack found; return their paths."""
        infos = {s.name: self.describe(s) for s in specs}
        rows = [r for s in specs for r in comparison_rows(s.name, infos[s.name], self.robustness_csv(s.name))]
        result: dict[str, Any] = {"csv": write_comparison_csv(rows, self.out_dir / "comparison.csv"), "figures": {}}
        for attack in sorted({r["attack"] for r in rows}):
            tables = {s.name: [r for r in rows if r["config"] == s.name and r["attack"] == attack] for s in specs}
            tables = {n: t for n, t in tables.items() if t}
            figures_dir = self.out_dir / "figures" / attack
            result["figures"][attack] = draw_comparison_figures(tables, infos, figures_dir, attack)
        return result

    def run(self, specs: Sequence[RunSpec]) -> dict[str, Any]:
        """Run every configuration in order, then :meth:`report`."""
        check_unique(specs)
        for spec in specs:
            logger.info(f"configuration {spec.name}: {spec.files}")
            self.run_one(spec)
        return self.report(specs)
