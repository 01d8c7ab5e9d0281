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
"""nlcen_monai.reports.clean_table on evaluation folders: older ones (``metrics.csv`` alone: the means, and a line
saying that no interval can be computed from them) and ones with ``MetricsSaver``'s per-image scores (each mean with
n and its interval, computed here again from those scores)."""

from __future__ import annotations

import contextlib
import io
import tempfile
import unittest
from pathlib import Path

from nlcen_monai.reports import clean_table
from tests.reports.test_campaign_table import campaign, interval, printed, write_raw


class TestCleanTable(unittest.TestCase):
    def test_rows_of_folders_with_metrics(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp)
            campaign(out)
            text = printed(
                clean_table.main,
                [f"clean={out / 'clean' / 'eval_clean'}", f"at8={out / 'at8' / 'eval_clean'}", f"none={out / 'nowhere'}"],
            )
            self.assertEqual(
                text.splitlines(),
                [
                    "| model | clean DIC [95 % interval] (n: all test images) | clean JSC [95 % interval] (n) |",
                    "|---|---:|---:|",
                    "| clean | 0.961 | 0.925 |",
                    "| at8 | 0.955 | - |",
                    "",
                    "No interval: clean, at8 hold(s) no per-image values behind the figures printed without one (an older "
                    "record), so no interval can be computed from it; those figures carry their n alone, where the record "
                    "gives it.",
                ],
            )

    def test_interval_and_n_from_the_per_image_scores(self):
        dice, iou = [0.95, 0.9, float("nan"), 0.97, 0.93], [0.9, 0.82, float("nan"), 0.94, 0.87]
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            (folder / "metrics.csv").write_text("val_mean_dice,0.9375\nval_mean_iou,0.8825\n")
            write_raw(folder, {"val_mean_dice": dice, "val_mean_iou": iou})
            lines = clean_table.clean_table({"m": folder})
        # the image without a score (NaN) is left out, as MONAI's mean leaves it out: n 4
        kept_dice, kept_iou = [v for v in dice if v == v], [v for v in iou if v == v]
        self.assertEqual(lines[2:], [f"| m | {interval(kept_dice, 0.9375)} (n 4) | {interval(kept_iou, 0.8825)} (n 4) |"])

    def test_bad_argument(self):
        with contextlib.redirect_stderr(io.StringIO()), self.assertRaises(SystemExit):
            clean_table.main(["no_equals_sign"])


if __name__ == "__main__":
    unittest.main()
