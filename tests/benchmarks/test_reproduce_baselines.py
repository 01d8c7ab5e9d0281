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
"""benchmarks/reproduce_baselines.sh end to end on a tiny chest-radiograph folder in the JSRT PNG layout.

One baseline pair (CDNN without and with NLCE), ``--quick`` (64 x 64, 2 epochs, the paper's attack at
eps 0.5 / 8 / 32, the worst case at eps 32 with 2 iterations): the pair is trained, swept, attacked with the
strong ensemble and evaluated clean, and the gathering step writes the comparison CSV, the tables and the
with/without-NLCE figure; run again with no pair, the script only gathers; and a ``reproduce.sh`` run of one
of the two models into the same folder, its evaluation under ``torchrun`` with two processes
(``--eval-procs 2``), resumes the store one process wrote and keeps the other model's rows in its tables.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[2]


def write_png_cases(root: Path, count: int, size: int = 64) -> None:
    """``count`` radiograph-like cases (bright body, two dark lungs) as ``images/`` and ``masks/`` PNGs."""
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir(parents=True)
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:size, :size] / size
    for i in range(1, count + 1):
        shift = rng.uniform(-0.05, 0.05)
        lungs = (((xx - 0.3 - shift) / 0.14) ** 2 + ((yy - 0.5) / 0.3) ** 2 < 1) | (
            ((xx - 0.7 + shift) / 0.14) ** 2 + ((yy - 0.5) / 0.3) ** 2 < 1
        )
        image = np.where(lungs, 60, 200) + rng.normal(0, 10, (size, size))
        name = f"JPCLN{i:03d}.png"
        Image.fromarray(np.clip(image, 0, 255).astype(np.uint8)).save(root / "images" / name)
        Image.fromarray(lungs.astype(np.uint8)).save(root / "masks" / name)


class TestReproduceBaselines(unittest.TestCase):
    @pytest.mark.slow
    def test_one_pair_quick(self):
        with tempfile.TemporaryDirectory() as tmp:
            png, out = Path(tmp) / "png", Path(tmp) / "out"
            write_png_cases(png, 14)  # odd numbers train (7), even numbers test (7; --quick attacks 6)
            env = {**os.environ, "PYTHON": sys.executable, "OMP_NUM_THREADS": "1"}
            env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
            done = subprocess.run(
                ["bash", "benchmarks/reproduce_baselines.sh", "--quick", "--networks", "cdnn", "--isic-networks", "",
                 "--strong-eps", "32", "--data-dir", str(png), "--out", str(out)],
                cwd=REPO, env=env, capture_output=True, text=True, timeout=900,
            )
            self.assertEqual(done.returncode, 0, done.stdout[-3000:] + done.stderr[-3000:])
            jsrt = out / "jsrt"
            self.assertTrue((out / "jsrt_cdnn.log").is_file())
            with open(jsrt / "comparison.csv") as f:
                rows = list(csv.DictReader(f))
            for name in ("cdnn", "cdnn_nlce"):
                self.assertTrue((jsrt / name / "models" / "model.pt").is_file())
                eps = {float(r["eps"]) for r in rows if r["config"] == name and r["attack"] == "targeted_ifgsm"}
                self.assertEqual(eps, {0.0, 0.5, 8.0, 32.0}, name)
                self.assertTrue((jsrt / "strong" / name / "eval" / "robustness" / "robustness.json").is_file())
            clean = (jsrt / "clean.md").read_text()
            self.assertIn("| cdnn |", clean)
            self.assertIn("| cdnn_nlce |", clean)
            self.assertIn("worst_case", (jsrt / "worst_case.md").read_text())
            self.assertTrue((jsrt / "figures" / "targeted_ifgsm" / "nlce_pairs.png").is_file())

            # gathering alone (no pair to run) redraws every dataset that has results, and skips the others
            (jsrt / "comparison.csv").unlink()
            gathered = subprocess.run(
                ["bash", "benchmarks/reproduce_baselines.sh", "--networks", "", "--isic-networks", "", "--out", str(out)],
                cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
            )
            self.assertEqual(gathered.returncode, 0, gathered.stdout[-3000:] + gathered.stderr[-3000:])
            self.assertIn("jsrt: gathering cdnn cdnn_nlce", gathered.stdout)
            self.assertNotIn("isic: gathering", gathered.stdout)
            with open(jsrt / "comparison.csv") as f:
                self.assertEqual(len(list(csv.DictReader(f))), len(rows))

            # a run of one model into the shared folder keeps the other model's rows in its tables; its
            # evaluation by two processes resumes what one wrote
            alone = subprocess.run(
                ["bash", "benchmarks/reproduce.sh", "--dataset", "jsrt", "--quick", "--models", "cdnn", "--skip-train",
                 "--no-strong", "--eval-procs", "2", "--data-dir", str(png), "--out", str(jsrt)],
                cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
            )
            self.assertEqual(alone.returncode, 0, alone.stdout[-3000:] + alone.stderr[-3000:])
            self.assertIn("the comparison of every model", alone.stdout)
            self.assertIn("evaluated by 2 processes", alone.stdout)
            with open(jsrt / "comparison.csv") as f:
                self.assertEqual(list(csv.DictReader(f)), rows)  # resumed: nothing recomputed, nothing lost
            self.assertIn("cdnn_nlce DIC", (jsrt / "table.md").read_text())
            self.assertIn("**cdnn_nlce**", (jsrt / "worst_case.md").read_text())


if __name__ == "__main__":
    unittest.main()
