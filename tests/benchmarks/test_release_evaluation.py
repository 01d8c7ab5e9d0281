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
"""benchmarks/release_evaluation.sh: the checked evaluation writes its per-image record, and a fresh machine resumes from it.

The released model is evaluated on two reporting images of synthetic radiographs at 64 px, with a tiny
attack budget; then a second run with a new output folder (as after a machine reset) starts from the
record alone and attacks nothing again. Both runs take a ``--budget`` file of their own (APGD-JS alone), which the
record's settings must show.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

from tests.benchmarks.test_reproduce_baselines import REPO, write_png_cases


def run_script(png: Path, out: Path, record: Path, budget: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHON": sys.executable, "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        ["bash", "benchmarks/release_evaluation.sh", "--procs", "1", "--size", "64", "--epsilons", "[8]",
         "--sample", "1.0", "--data-dir", str(png), "--out", str(out), "--record", str(record),
         "--test-list", "$nlcen_monai.data.evaluation_subset(@dataset_dir, 'reporting')[:2]", "--budget", str(budget),
         "--", "--attack_iterations", "2", "--square_queries", "10"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=900,
    )


class TestReleaseEvaluation(unittest.TestCase):
    def test_record_then_resume_on_a_fresh_folder(self):
        with tempfile.TemporaryDirectory() as tmp:
            png, record = Path(tmp) / "png", Path(tmp) / "record"
            write_png_cases(png, 20)
            budget = Path(tmp) / "budget.json"
            budget.write_text(json.dumps({"strong_members": [
                {"_target_": "nlcen_monai.attacks.APGD", "loss": "js", "iterations": "@attack_iterations"}]}))
            first = run_script(png, Path(tmp) / "out1", record, budget)
            self.assertEqual(first.returncode, 0, first.stdout[-3000:] + first.stderr[-3000:])
            with open(record / "robustness_per_image.csv") as f:
                rows = list(csv.DictReader(f))
            self.assertEqual(len({r["case_id"] for r in rows}), 2)
            attacks = {r["attack"] for r in rows}
            self.assertTrue({"worst_case", "check_more_iterations", "check_black_box", "check_unbounded"} <= attacks)
            report = json.loads((record / "robustness.json").read_text())
            passes = report["passes"]["run"]
            self.assertGreater(passes, 0)
            self.assertEqual([m["name"] for m in report["settings"]["attack"]["members"]], ["apgd_js"])

            second = run_script(png, Path(tmp) / "out2", record, budget)
            self.assertEqual(second.returncode, 0, second.stdout[-3000:] + second.stderr[-3000:])
            self.assertIn("resuming from the committed record", second.stdout)
            self.assertEqual(json.loads((record / "robustness.json").read_text())["passes"]["run"], passes)
            with open(record / "robustness_per_image.csv") as f:
                self.assertEqual(list(csv.DictReader(f)), rows)


if __name__ == "__main__":
    unittest.main()
