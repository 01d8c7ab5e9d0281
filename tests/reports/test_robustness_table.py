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
"""nlcen_monai.reports.robustness_table on a comparison CSV written by nlcen_monai.compare."""

from __future__ import annotations

import contextlib
import io
import tempfile
import unittest
from pathlib import Path

from nlcen_monai.compare.results import comparison_rows, write_comparison_csv
from nlcen_monai.metrics import mean_interval
from nlcen_monai.reports.robustness_table import comparison_table, main, read_comparison_csv
from nlcen_monai.robustness import ResultFiles, RobustnessResult


def row(config: str, attack: str, eps: float, dice: float, n: int, checks: str) -> dict:
    return {"config": config, "network": config, "attack": attack, "eps": eps, "dice": dice, "jaccard": dice / 2,
            "n_images": n, "passes": None, "checks": checks}


ROWS = [
    row("nlcen", "worst_case", 0.0, 0.95, 8, ""),
    row("nlcen", "worst_case", 8.0, 0.5, 8, "passed"),
    row("nlcen", "targeted_ifgsm", 0.0, 0.95, 8, ""),
    row("nlcen", "targeted_ifgsm", 0.5, 0.9, 8, ""),
    row("unet", "targeted_ifgsm", 0.0, 0.9, 5, ""),
    row("unet", "targeted_ifgsm", 0.5, 0.8, 5, "failed:unbounded"),
]


class TestRobustnessTable(unittest.TestCase):
    def test_table(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "comparison.csv"
            write_comparison_csv(ROWS, path)
            self.assertEqual([r["config"] for r in read_comparison_csv(path)], [r["config"] for r in ROWS])
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                self.assertEqual(main([str(path), "--size", "128"]), 0)
        lines = out.getvalue().splitlines()
        self.assertTrue(lines[0].startswith("DIC [95 % interval] / JSC per configuration at 128 x 128; eps 0 = clean;"))
        self.assertEqual(
            lines[2:],
            [
                "| attack | eps | nlcen DIC | nlcen JSC | unet DIC | unet JSC | n |",
                "|---|---:|---:|---:|---:|---:|---:|",
                "| targeted_ifgsm | 0 | 0.950 | 0.475 | 0.900 | 0.450 | 5/8 |",  # clean: never an upper bound
                "| targeted_ifgsm | 0.5 | 0.900 † | 0.450 † | 0.800 † | 0.400 † | 5/8 |",  # the paper's attack runs no checks
                "| worst_case | 0 | 0.950 | 0.475 | - | - | 8 |",
                "| worst_case | 8 | 0.500 | 0.250 | - | - | 8 |",  # checks passed
                "",  # rows without dice_low / dice_high: no interval, said once
                "No interval: nlcen, unet hold(s) no per-image values behind the figures printed without one (an older "
                "record), so no interval can be computed from it; those figures carry their n alone, where the record gives it.",
            ],
        )

    def test_interval_of_each_dice_from_the_per_image_record(self):
        dice = {"nlcen": [0.91, 0.95, 0.88, 0.97, 0.93], "unet": [0.85, 0.9, 0.8, 0.93, 0.87]}
        with tempfile.TemporaryDirectory() as tmp:
            rows = []
            for config, values in dice.items():
                result = RobustnessResult(attack="targeted_ifgsm")
                result.add([{"case_id": f"c{i}", "attack": "targeted_ifgsm", "eps": 0.0, "dice": v, "jaccard": v / 2}
                            for i, v in enumerate(values)])
                files = ResultFiles.in_dir(Path(tmp) / config)
                result.save(files)
                rows += comparison_rows(config, {}, files.csv)
            path = Path(tmp) / "comparison.csv"
            write_comparison_csv(rows, path)
            lines = comparison_table(read_comparison_csv(path))
        cells = []
        for config, values in dice.items():
            mean, low, high, _ = mean_interval(values)
            cells.append(f"{mean:.3f} [{low:.3f}, {high:.3f}] | {mean / 2:.3f}")
        self.assertEqual(lines[-1], f"| targeted_ifgsm | 0 | {' | '.join(cells)} | 5 |")
        self.assertNotIn("No interval", "\n".join(lines))


if __name__ == "__main__":
    unittest.main()
