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
"""nlcen_monai.reports.worst_case_table on a results store written the way a stopped worst-case evaluation leaves it.

A stopped evaluation keeps the per-image rows of every image it finished, checks included, but it was
never judged (``checks`` None): the table marks every figure as an upper bound until ``--rejudge`` judges the
four checks from those rows, at the tolerance the store records.
"""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

from nlcen_monai.reports.worst_case_table import main
from nlcen_monai.robustness import ResultFiles, RobustnessResult


def stopped_store(folder: Path, more_iterations_drop: float) -> None:
    """Two images of a worst case over one APGD member at eps 8 and 32, with checks b, c and d, never judged."""
    result = RobustnessResult(
        attack="worst_case",
        settings={"attack": {"members": [{"name": "apgd"}]}, "checks": {"iterations_tolerance": 0.02}},
    )
    rows = []
    for case, dice in (("a", 0.6), ("b", 0.4)):
        rows += [
            {"case_id": case, "attack": "worst_case", "eps": 0.0, "dice": 0.95, "jaccard": 0.9},
            {"case_id": case, "attack": "check_unbounded", "eps": 255.0, "dice": 0.0, "jaccard": 0.0},
        ]
        for eps, at_eps in ((8.0, dice), (32.0, dice - 0.4)):
            rows += [
                {"case_id": case, "attack": "apgd", "eps": eps, "dice": at_eps, "jaccard": at_eps / 2},
                {"case_id": case, "attack": "worst_case", "eps": eps, "dice": at_eps, "jaccard": at_eps / 2,
                 "source": "apgd"},
                {"case_id": case, "attack": "check_more_iterations", "eps": eps, "dice": at_eps - more_iterations_drop,
                 "jaccard": at_eps / 2},
                {"case_id": case, "attack": "check_black_box", "eps": eps, "dice": at_eps, "jaccard": at_eps / 2},
            ]
    result.add(rows, run=10.0)
    result.save(ResultFiles.in_dir(folder))


def table(*args: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(list(args)) == 0
    return out.getvalue()


class TestRejudge(unittest.TestCase):
    def test_stopped_evaluation(self):
        with tempfile.TemporaryDirectory() as tmp:
            held, masked = Path(tmp) / "held", Path(tmp) / "masked"
            stopped_store(held, more_iterations_drop=0.01)
            stopped_store(masked, more_iterations_drop=0.05)
            unjudged = table(f"held={held}")
            self.assertIn("| **worst_case** | 0.950 (2) | 0.500 † (2) | 0.100 † (2) |", unjudged)
            self.assertIn("| held | not run | not run | not run | not run |", unjudged)

            judged = table("--rejudge", f"held={held}", f"masked={masked}")
            self.assertIn("| **worst_case** | 0.950 (2) | 0.500 (2) | 0.100 (2) |", judged)  # all four passed
            self.assertIn("| worst on most images | - | apgd (2/2) | apgd (2/2) |", judged)
            held_checks = "| held | pass (max rise -0.400) | pass (DIC 0.000) | pass (drop 0.010 at eps 8, 0.010 at eps 32) |"
            self.assertIn(held_checks, judged)
            # check c fails beyond the store's own tolerance (0.02, not the default 0.01): upper bounds
            masked_checks = "| masked | pass (max rise -0.400) | pass (DIC 0.000) | **FAIL** (drop **0.050** at eps 8,"
            self.assertIn(masked_checks, judged)
            self.assertIn("| **worst_case** | 0.950 (2) | 0.500 † (2) | 0.100 † (2) |", judged)
            # the DIC checks c and d compared with the worst case, below it
            self.assertIn("| check c: worst case, doubled iterations and restarts | - | 0.450 (2) | 0.050 (2) |", judged)
            self.assertIn("| check d: black-box attacks | - | 0.500 (2) | 0.100 (2) |", judged)

    def test_runs_as_a_module(self):
        with tempfile.TemporaryDirectory() as tmp:
            stopped_store(Path(tmp), more_iterations_drop=0.01)
            done = subprocess.run(
                [sys.executable, "-m", "nlcen_monai.reports.worst_case_table", f"held={tmp}"],
                capture_output=True, text=True, timeout=120,
            )
            self.assertEqual(done.returncode, 0, done.stderr)
            self.assertEqual(done.stdout, table(f"held={tmp}"))
            self.assertNotIn("RuntimeWarning", done.stderr)  # runpy: the package did not import the module first


if __name__ == "__main__":
    unittest.main()
