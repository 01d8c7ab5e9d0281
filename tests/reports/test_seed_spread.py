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
"""nlcen_monai.reports.seed_spread: NLCE's gain per seed over the images every run scored, each DIC with its
interval and each gain with the paired interval over the same images, computed here again from the fixture."""

from __future__ import annotations

import contextlib
import io
import tempfile
import unittest
from pathlib import Path

from nlcen_monai.metrics import mean_interval, paired_difference_interval
from nlcen_monai.reports import seed_spread
from nlcen_monai.robustness import read_per_image_csv, write_per_image_csv


def write_run(root: Path, dice: dict[str, dict[str, float]]) -> None:
    """``dice``: ``{model: {case: DIC at eps 8}}``; every case also scores 0.9 clean."""
    for model, cases in dice.items():
        rows = []
        for case, value in cases.items():
            rows.append({"case_id": case, "attack": "targeted_ifgsm", "eps": 0.0, "dice": 0.9, "jaccard": 0.8})
            rows.append({"case_id": case, "attack": "targeted_ifgsm", "eps": 8.0, "dice": value, "jaccard": value / 2})
        folder = root / model / "eval" / "robustness"
        folder.mkdir(parents=True)
        write_per_image_csv(rows, folder / "robustness_per_image.csv")


def cell(without: list[float], with_: list[float]) -> str:
    """``w/o [lo, hi] / with [lo, hi] / gain [lo, hi]``, the gain's interval paired over the images."""
    a, b = mean_interval(without), mean_interval(with_)
    _, low, high, _ = paired_difference_interval(with_, without)
    return (f"{a[0]:.3f} [{a[1]:.3f}, {a[2]:.3f}] / {b[0]:.3f} [{b[1]:.3f}, {b[2]:.3f}] / "
            f"{b[0] - a[0]:+.3f} [{low:+.3f}, {high:+.3f}]")


class TestSeedSpread(unittest.TestCase):
    def test_gain_and_spread_over_shared_images(self):
        with tempfile.TemporaryDirectory() as tmp:
            s0, s1 = Path(tmp) / "s0", Path(tmp) / "s1"
            # seed 0 scored a, b, c; seed 1 only a, b: c (DIC 0.0 / 1.0) must not count
            write_run(s0, {"net": {"a": 0.2, "b": 0.4, "c": 0.0}, "net_nlce": {"a": 0.6, "b": 0.8, "c": 1.0}})
            write_run(s1, {"net": {"a": 0.4, "b": 0.4}, "net_nlce": {"a": 0.5, "b": 0.5}})
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                self.assertEqual(seed_spread.main([f"s0={s0}", f"s1={s1}", "--networks", "net"]), 0)
            text = out.getvalue()
            self.assertIn("over the 2 images every run scored at every intensity", text)
            row = next(line for line in text.splitlines() if line.startswith("| 8 |"))
            # seed 0: 0.3 / 0.7 / +0.4; seed 1: 0.4 / 0.5 / +0.1; spreads 0.1 and 0.2; gains +0.1 .. +0.4
            self.assertEqual(
                row,
                f"| 8 | {cell([0.2, 0.4], [0.6, 0.8])} | {cell([0.4, 0.4], [0.5, 0.5])} | 0.100 | 0.200 | +0.100 .. +0.400 |",
            )

    def test_gain_has_the_paired_interval(self):
        """Images differ much more between them than NLCE's gain on each: the paired interval is the narrow one."""
        without = {"a": 0.3, "b": 0.8, "c": 0.5, "d": 0.65, "e": 0.4}
        gain = {"a": 0.05, "b": 0.02, "c": 0.04, "d": 0.01, "e": 0.03}
        with_ = {case: value + gain[case] for case, value in without.items()}
        with tempfile.TemporaryDirectory() as tmp:
            write_run(Path(tmp), {"net": without, "net_nlce": with_})
            lines = seed_spread.spread_table({"s0": Path(tmp)}, "net", "targeted_ifgsm")
        cases = sorted(without)
        expected = cell([without[c] for c in cases], [with_[c] for c in cases])
        self.assertTrue(lines[-1].startswith(f"| 8 | {expected} |"), lines[-1])
        self.assertIn("+0.030 [+0.018, +0.042]", lines[-1])  # the unpaired bounds would be -0.26 .. +0.33

    def test_image_without_its_attacked_rows_does_not_count(self):
        with tempfile.TemporaryDirectory() as tmp:
            run = Path(tmp) / "s0"
            write_run(run, {"net": {"a": 0.2, "b": 0.4, "c": 0.0}, "net_nlce": {"a": 0.6, "b": 0.8}})
            # net_nlce's evaluation still running: image c has its clean row, not yet its eps 8 one
            path = run / "net_nlce" / "eval" / "robustness" / "robustness_per_image.csv"
            clean_c = {"case_id": "c", "attack": "targeted_ifgsm", "eps": 0.0, "dice": 0.9, "jaccard": 0.8}
            write_per_image_csv([*read_per_image_csv(path), clean_c], path)
            lines = seed_spread.spread_table({"s0": run}, "net", "targeted_ifgsm")
            self.assertIn("over the 2 images", lines[0])  # not 3: net's c (DIC 0.0) has no net_nlce twin at eps 8
            self.assertEqual(lines[-1], f"| 8 | {cell([0.2, 0.4], [0.6, 0.8])} | 0.000 | 0.000 | +0.400 .. +0.400 |")

    def test_missing_model_is_reported(self):
        with tempfile.TemporaryDirectory() as tmp:
            write_run(Path(tmp), {"net": {"a": 0.5}})
            with self.assertRaises(FileNotFoundError):
                seed_spread.spread_table({"s0": Path(tmp)}, "net", "targeted_ifgsm")


if __name__ == "__main__":
    unittest.main()
