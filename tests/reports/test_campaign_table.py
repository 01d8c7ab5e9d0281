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
"""nlcen_monai.reports.campaign_table on a campaign folder as defense_campaign.sh leaves it: an older one, whose
records hold no per-image values (means and n alone, said once), and one whose means carry their intervals,
computed here again from the fixture's per-image values."""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
import unittest
from pathlib import Path

from nlcen_monai.metrics import mean_interval
from nlcen_monai.reports import campaign_table
from nlcen_monai.robustness import ResultFiles, RobustnessResult, write_robustness_table

LOG_LINE = "2026-11-01 10:00:00,000 - SupervisedTrainer - INFO - Epoch[{}] Complete. Time taken: {}\n"


def write_run(out: Path, name: str, metrics: str, epochs: list[str], screen_dice8: float, worst: bool = False) -> None:
    """One run folder: overrides, clean metrics, a training log of ``epochs`` (h:mm:ss times), the screen's table."""
    run = out / name
    (run / "eval_clean").mkdir(parents=True)
    (run / "eval_clean" / "metrics.csv").write_text(metrics)
    (run / "overrides.txt").write_text(f"--epochs 30 {name}\n")
    if epochs:
        (run / "train.log").write_text("".join(LOG_LINE.format(i + 1, t) for i, t in enumerate(epochs)))
    rows = [{"attack": "apgd_ce", "eps": e, "dice": d, "jaccard": d / 2, "n_images": 14, "passes": 20.0, "checks": ""}
            for e, d in ((0.0, 0.95), (8.0, screen_dice8), (32.0, 0.3))]
    write_robustness_table(rows, run / "screen" / "robustness" / "robustness.csv")
    if worst:
        rows = [{"attack": "worst_case", "eps": e, "dice": d, "jaccard": d / 2, "n_images": 14, "passes": 50.0, "checks": ""}
                for e, d in ((0.0, 0.95), (8.0, 0.5), (32.0, 0.12345))]
        write_robustness_table(rows, run / "worst" / "robustness" / "robustness.csv")


def campaign(out: Path) -> None:
    write_run(out, "clean", "val_mean_dice,0.9612\nval_mean_iou,0.9255\n", ["00:03:20.000", "00:01:01.500", "00:01:00.100", "00:01:02.000"], 0.1)
    write_run(out, "at32_mix", "val_mean_dice,0.95\nval_mean_iou,0.906\n",
              ["00:03:20.000", "00:02:00.500", "00:01:58.250", "00:01:59.000", "00:02:01.000"], 0.6, worst=True)
    # a resumed training logs epoch 3 again: the last time counts
    with open(out / "at32_mix" / "train.log", "a") as f:
        f.write(LOG_LINE.format(3, "00:02:05.500"))
    write_run(out, "at8", "val_mean_dice,0.955\n", [], 0.6)  # no log, no JSC
    screen = {"attack": {"loss": "ce", "iterations": 20}, "test_list": "$nlcen_monai.data.load_datalist(@dataset_dir, 'test')[::9]"}
    (out / "screen.json").write_text(json.dumps(screen))


def write_raw(folder: Path, scores: dict[str, list[float]]) -> None:
    """The per-image scores as ``MetricsSaver``'s ``metric_details`` leave them: ``<metric>_raw.csv``, 4 decimals."""
    for metric, values in scores.items():
        lines = ["filename,class0,mean"] + [f"img{i}.png,{v:.4f},{v:.4f}" for i, v in enumerate(values)]
        (folder / f"{metric}_raw.csv").write_text("\n".join(lines) + "\n")


def interval(values: list[float], mean: float | None = None) -> str:
    """``mean [lo, hi]`` with the interval computed here (the mean of ``values`` unless given)."""
    own, low, high, _ = mean_interval(values)
    return f"{own if mean is None else mean:.3f} [{low:.3f}, {high:.3f}]"


def printed(main, argv: list[str]) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(argv) == 0
    return out.getvalue()


class TestCampaignTable(unittest.TestCase):
    def test_table_and_csv(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp)
            campaign(out)
            text = printed(campaign_table.main, [tmp, "--runs", "clean", "at32_mix", "at8", "clean"])
            lines = text.splitlines()
            self.assertEqual(len([line for line in lines if line.startswith("| ")]), 4)  # header and each run once
            self.assertIn(
                "| clean | `--epochs 30 clean` | 4 | 0.961 / 0.925 | 0.950 / 0.100 / 0.300 (n 14) | - / - | 61.5 | 1.00 |", lines
            )
            self.assertIn(
                "| at32_mix | `--epochs 30 at32_mix` | 5 | 0.950 / 0.906 | 0.950 / 0.600 / 0.300 (n 14) | 0.500 / 0.123 (n 14) "
                "| 120.8 | 1.96 |",
                lines,
            )
            self.assertIn("| at8 | `--epochs 30 at8` | 0 | 0.955 / - | 0.950 / 0.600 / 0.300 (n 14) | - / - | - | - |", lines)
            # no per-image values behind these records: no interval, said once
            self.assertEqual([line for line in lines if line.startswith("No interval")],
                             ["No interval: clean, at32_mix, at8 hold(s) no per-image values behind the figures printed "
                              "without one (an older record), so no interval can be computed from it; those figures carry "
                              "their n alone, where the record gives it."])
            self.assertTrue(lines[-1].startswith("screen: APGD-CE (20 iterations, 1 restart) on the test images ::9 of the datalist"))
            csv_lines = (out / "campaign.csv").read_text().splitlines()
            self.assertEqual(csv_lines[0].split(",")[:3], ["run", "overrides", "epochs"])
            self.assertEqual(csv_lines[2].split(",")[-2:], ["120.75", "1.9634146341463414"])  # median of 120.5, 125.5, 119, 121

    def test_means_with_their_intervals(self):
        clean_dice, clean_iou = [0.95, 0.9, 0.97, 0.93], [0.9, 0.82, 0.94, 0.87]
        screen = {0.0: [0.95, 0.9, 0.97, 0.93], 8.0: [0.6, 0.3, 0.7, 0.5], 32.0: [0.2, 0.05, 0.3, 0.1]}
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp)
            write_run(out, "at8", "val_mean_dice,0.9375\nval_mean_iou,0.8825\n", [], 0.6)
            write_raw(out / "at8" / "eval_clean", {"val_mean_dice": clean_dice, "val_mean_iou": clean_iou})
            result = RobustnessResult(attack="apgd_ce")
            result.add([{"case_id": f"c{i}", "attack": "apgd_ce", "eps": e, "dice": d, "jaccard": d / 2}
                        for e, values in screen.items() for i, d in enumerate(values)])
            result.save(ResultFiles.in_dir(out / "at8" / "screen" / "robustness"))
            screen_json = {"attack": {"loss": "ce", "iterations": 20}, "test_list": "[::9]"}
            (out / "screen.json").write_text(json.dumps(screen_json))
            lines = printed(campaign_table.main, [tmp, "--runs", "at8"]).splitlines()
            header = (out / "campaign.csv").read_text().splitlines()[0].split(",")
        clean = f"{interval(clean_dice, 0.9375)} / {interval(clean_iou, 0.8825)} (n 4)"
        dic = " / ".join(interval(v) for v in screen.values()) + " (n 4)"
        self.assertEqual(lines[2], f"| at8 | `--epochs 30 at8` | 0 | {clean} | {dic} | - / - | - | - |")
        self.assertFalse(any(line.startswith("No interval") for line in lines))
        self.assertIn("screen_dice_eps8_low", header)
        self.assertIn("clean_images", header)

    def test_epoch_seconds_without_log(self):
        self.assertEqual(campaign_table.epoch_seconds("/nonexistent/train.log"), (None, 0))


if __name__ == "__main__":
    unittest.main()
