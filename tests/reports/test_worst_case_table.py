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
four checks from those rows, at the tolerance the store records. Every mean carries its 95 % bootstrap interval
and n, every check drop its paired interval, each computed here again from the fixture's per-image values; an
older store without per-image values gives n alone and says so once.
"""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

from nlcen_monai.metrics import mean_interval, paired_difference_interval
from nlcen_monai.reports.worst_case_table import main
from nlcen_monai.robustness import ResultFiles, RobustnessResult, write_robustness_table


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


def figure(values: list[float]) -> str:
    """The mean of ``values`` as the table prints it, with the interval computed here."""
    mean, low, high, n = mean_interval(values)
    return f"{mean:.3f} [{low:.3f}, {high:.3f}] (n {n})"


def paired(a: list[float], b: list[float], sign: str = "") -> str:
    """The mean of ``a - b`` over the same images with its paired interval, as the table prints it."""
    mean, low, high, n = paired_difference_interval(a, b)
    return f"{mean:{sign}.3f} [{low:{sign}.3f}, {high:{sign}.3f}] (n {n})"


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
            clean, at8, at32 = figure([0.95, 0.95]), figure([0.6, 0.4]), figure([0.6 - 0.4, 0.4 - 0.4])
            unjudged = table(f"held={held}")
            self.assertIn(f"| **worst_case** | {clean} | {at8} † | {at32} † |", unjudged)
            self.assertIn("| held | not run | not run | not run | not run |", unjudged)
            self.assertNotIn("No interval", unjudged)

            judged = table("--rejudge", f"held={held}", f"masked={masked}")
            self.assertIn(f"| **worst_case** | {clean} | {at8} | {at32} |", judged)  # all four passed
            self.assertIn("| worst on most images | - | apgd (2/2) | apgd (2/2) |", judged)
            rise = paired([0.6 - 0.4, 0.4 - 0.4], [0.6, 0.4], sign="+")
            held_drops = f"{paired([0.6, 0.4], [0.6 - 0.01, 0.4 - 0.01])} at eps 8"
            held_checks = f"| held | pass (max rise {rise}) | pass (DIC {figure([0.0, 0.0])}) | pass (drop {held_drops},"
            self.assertIn(held_checks, judged)
            # check c fails beyond the store's own tolerance (0.02, not the default 0.01): upper bounds
            masked_drop = paired([0.6, 0.4], [0.6 - 0.05, 0.4 - 0.05])
            masked_checks = (f"| masked | pass (max rise {rise}) | pass (DIC {figure([0.0, 0.0])}) "
                             f"| **FAIL** (drop **{masked_drop}** at eps 8,")
            self.assertIn(masked_checks, judged)
            self.assertIn(f"| **worst_case** | {clean} | {at8} † | {at32} † |", judged)
            # the DIC checks c and d compared with the worst case, below it
            check_c = f"{figure([0.6 - 0.05, 0.4 - 0.05])} | {figure([0.6 - 0.4 - 0.05, 0.4 - 0.4 - 0.05])}"
            self.assertIn(f"| check c: worst case, doubled iterations and restarts | - | {check_c} |", judged)
            self.assertIn(f"| check d: black-box attacks | - | {at8} | {at32} |", judged)

    def test_check_drop_has_its_paired_interval(self):
        """Each image loses a different amount to check c: the drop's interval is over the per-image differences."""
        worst, checked = [0.9, 0.7, 0.8, 0.6, 0.85], [0.9, 0.66, 0.795, 0.55, 0.84]
        with tempfile.TemporaryDirectory() as tmp:
            result = RobustnessResult(attack="worst_case", settings={"checks": {}})
            result.add([
                row for case, (w, c) in enumerate(zip(worst, checked)) for row in (
                    {"case_id": str(case), "attack": "worst_case", "eps": 8.0, "dice": w, "jaccard": w / 2},
                    {"case_id": str(case), "attack": "check_more_iterations", "eps": 8.0, "dice": c, "jaccard": c / 2},
                )
            ])
            result.save(ResultFiles.in_dir(tmp))
            text = table("--rejudge", f"m={tmp}")
        self.assertIn(f"| **worst_case** | {figure(worst)} † |", text)
        self.assertIn(f"| check c: worst case, doubled iterations and restarts | {figure(checked)} |", text)
        self.assertIn(f"(drop **{paired(worst, checked)}** at eps 8)", text)  # 0.021 [0.004, 0.039] (n 5): above 0.01

    def test_store_without_per_image_values_gives_n_and_says_so_once(self):
        with tempfile.TemporaryDirectory() as tmp:
            rows = [{"attack": "worst_case", "eps": e, "dice": d, "jaccard": d / 2, "n_images": 14, "checks": ""}
                    for e, d in ((0.0, 0.95), (8.0, 0.5))]
            write_robustness_table(rows, Path(tmp) / "robustness.csv")
            (Path(tmp) / "robustness.json").write_text('{"attack": "worst_case", "rows": []}')
            text = table(f"old={tmp}")
        self.assertIn("| **worst_case** | 0.950 (n 14) | 0.500 (n 14) † |", text)
        self.assertEqual(text.count("No interval: old hold(s) no per-image values"), 1)

    def test_models_differ_by_a_paired_interval_over_the_common_images(self):
        shipped = {"a": 0.60, "b": 0.40, "c": 0.50, "d": 0.55}
        candidate = {"a": 0.70, "b": 0.52, "c": 0.61, "e": 0.0}  # "d" not attacked, "e" only here: both left out
        with tempfile.TemporaryDirectory() as tmp:
            for name, scores in (("shipped", shipped), ("candidate", candidate)):
                result = RobustnessResult(attack="worst_case")
                result.add([{"case_id": c, "attack": "worst_case", "eps": e, "dice": d if e else 0.95, "jaccard": d / 2}
                            for c, d in scores.items() for e in (0.0, 32.0)])
                result.save(ResultFiles.in_dir(Path(tmp) / name))
            text = table(f"shipped={tmp}/shipped", f"candidate={tmp}/candidate")
            alone = table(f"shipped={tmp}/shipped")
        mean, low, high, n = paired_difference_interval([0.70, 0.52, 0.61], [0.60, 0.40, 0.50])
        self.assertGreater(low, 0)
        self.assertIn("Worst case minus shipped's, paired over the images both attacked", text)
        self.assertIn(f"| candidate | {mean:+.4f} [{low:+.4f}, {high:+.4f}] (n {n}) better |", text)
        self.assertNotIn("Worst case minus", alone)  # one model: nothing to compare

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
