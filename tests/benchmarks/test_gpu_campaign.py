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
"""benchmarks/gpu_campaign.sh --quick on the CPU: every stage of the prepared GPU call, end to end.

One finalist on 20 synthetic radiographs in the JSRT PNG layout (10 training, 10 test: 2 selection images)
at 64 px: it is trained through defense_campaign.sh, evaluated with the checked worst case on the selection
images, the released model is evaluated on 2 reporting images, and the records are packed into OUT. A
second invocation, with a second finalist and no budget left, skips the finished stages and, saying so,
the second finalist's.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import unittest
from pathlib import Path

import pytest

from tests.benchmarks.test_reproduce_baselines import REPO, write_png_cases

FINALIST = "at32_mix_rand_aug_ema"  # both defense config files of the campaign's FILES table
STAMP = r"\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\] "


def run_script(tmp: Path, out: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHON": sys.executable, "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        ["bash", "benchmarks/gpu_campaign.sh", "--quick", "--device", "cpu", "--data-dir", str(tmp / "png"),
         "--work", str(tmp / "work"), "--out", str(out), *args],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=900,
    )


def rows(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.slow
class TestGpuCampaignQuick(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls._tmp = tempfile.TemporaryDirectory()
        cls.tmp = Path(cls._tmp.name)
        write_png_cases(cls.tmp / "png", 20)
        cls.out = cls.tmp / "out1"
        cls.first = run_script(cls.tmp, cls.out, "--finalists", FINALIST)

    @classmethod
    def tearDownClass(cls):
        cls._tmp.cleanup()

    def assertOk(self, done: subprocess.CompletedProcess):
        self.assertEqual(done.returncode, 0, done.stdout[-4000:] + done.stderr[-3000:])

    def test_every_stage_writes_its_record(self):
        self.assertOk(self.first)
        out = self.first.stdout
        for stage in (f"stage 1 train {FINALIST}", f"stage 2 evaluate {FINALIST}", "stage 3 release on the reporting images",
                      "stage 4 records"):
            self.assertRegex(out, STAMP + re.escape(stage) + ": start", stage)
            self.assertRegex(out, STAMP + re.escape(stage) + ": done", stage)
        self.assertEqual((self.out / "gpu_campaign.log").read_text(), out)
        # the released model's record, kept by release_evaluation.sh in OUT: 2 reporting images with the checks
        per_image = rows(self.out / "release_reporting" / "robustness_per_image.csv")
        self.assertEqual(len({r["case_id"] for r in per_image}), 2)
        self.assertTrue({"worst_case", "check_more_iterations", "check_black_box"} <= {r["attack"] for r in per_image})
        # the packed records: the finalist's campaign line (training log, clean DIC on the test set and the validation
        # cases) and its screen, the worst case on the selection images, with the checks added to the same store
        (self.tmp / "records").mkdir()
        with tarfile.open(self.out / "records.tar.gz") as tar:
            tar.extractall(self.tmp / "records", filter="data")
        run = self.tmp / "records" / FINALIST
        self.assertIn("Epoch[2] Complete", (run / "train.log").read_text())
        self.assertTrue((run / "eval_clean" / "metrics.csv").read_text().startswith("val_mean_dice,"))
        self.assertGreater(len((run / "eval_clean" / "val_mean_dice_raw.csv").read_text().splitlines()), 10)  # 10 test images
        self.assertTrue((run / "eval_val" / "metrics.csv").read_text().startswith("val_mean_dice,"))
        self.assertIn("resuming from", (run / "logs" / f"{FINALIST}.worst.log").read_text())  # stage 2 added to the screen
        worst = rows(run / "worst" / "robustness" / "robustness_per_image.csv")
        self.assertEqual({float(r["eps"]) for r in worst if r["attack"] == "worst_case"}, {0.0, 8.0, 32.0})
        self.assertEqual(len({r["case_id"] for r in worst}), 2)  # the 2 selection images
        self.assertIn("check_more_iterations", {r["attack"] for r in worst})
        self.assertTrue(rows(self.tmp / "records" / "release_reporting" / "robustness_per_image.csv"))
        self.assertIn(f"| {FINALIST} |", (self.tmp / "records" / "campaign.md").read_text())
        with open(self.tmp / "records" / "stages.tsv", newline="") as f:
            stages = {r["stage"]: r["status"] for r in csv.DictReader(f, delimiter="\t")}
        self.assertEqual(stages, {"1": "done", "2": "done", "3": "done"})
        self.assertTrue((self.out / "models" / f"{FINALIST}.pt").is_file())
        self.assertLessEqual(sum(1 for p in self.out.rglob("*") if p.is_file()), 8)  # what the device brings back

    def test_second_invocation_skips_finished_stages_and_those_past_the_budget(self):
        self.assertOk(self.first)
        second = run_script(self.tmp, self.tmp / "out2", "--finalists", f"{FINALIST} at32_mix_rand_ema", "--budget-s", "0")
        self.assertOk(second)
        out = second.stdout
        for stage in (f"stage 1 train {FINALIST}", f"stage 2 evaluate {FINALIST}", "stage 3 release on the reporting images"):
            self.assertRegex(out, STAMP + re.escape(stage) + ": finished in an earlier invocation, skipped", stage)
        self.assertRegex(out, STAMP + r"stage 1 train at32_mix_rand_ema: skipped \(budget\): -?\d+ s of 0 s left")
        self.assertIn("stage 2 evaluate at32_mix_rand_ema: skipped, no finished training", out)
        self.assertNotIn(": start (", out)  # no stage ran
        # the records still come back: the release's from its rows kept on this machine
        self.assertEqual(rows(self.tmp / "out2" / "release_reporting" / "robustness_per_image.csv"),
                         rows(self.out / "release_reporting" / "robustness_per_image.csv"))
        with tarfile.open(self.tmp / "out2" / "records.tar.gz") as tar:
            names = tar.getnames()
        self.assertIn(f"./{FINALIST}/worst/robustness/robustness_per_image.csv", names)
        self.assertNotIn("./at32_mix_rand_ema/train.log", names)


if __name__ == "__main__":
    unittest.main()
