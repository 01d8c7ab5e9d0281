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
records hold no per-image values (means and n alone, said once), and one whose means carry their intervals and whose
screens are compared with the reference run's, paired over the images both hold, computed here again from the
fixture's per-image values."""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
import unittest
from pathlib import Path

from nlcen_monai.metrics import mean_interval, paired_difference_interval
from nlcen_monai.reports import campaign_table
from nlcen_monai.robustness import ResultFiles, RobustnessResult, write_robustness_table

LOG_LINE = "2026-11-01 10:00:00,000 - SupervisedTrainer - INFO - Epoch[{}] Complete. Time taken: {}\n"


def write_run(out: Path, name: str, metrics: str, epochs: list[str], worst_dice8: float | None = None) -> None:
    """One run folder: overrides, clean metrics on the test set and on the validation cases, a training log of
    ``epochs`` (h:mm:ss times), the screen's table (when ``worst_dice8`` is given)."""
    run = out / name
    for folder in ("eval_clean", "eval_val"):
        (run / folder).mkdir(parents=True)
    (run / "eval_clean" / "metrics.csv").write_text(metrics)
    (run / "eval_val" / "metrics.csv").write_text("val_mean_dice,0.97\nval_mean_iou,0.94\n")
    (run / "overrides.txt").write_text(f"--epochs 30 {name}\n")
    if epochs:
        (run / "train.log").write_text("".join(LOG_LINE.format(i + 1, t) for i, t in enumerate(epochs)))
    if worst_dice8 is not None:
        rows = [{"attack": "worst_case", "eps": e, "dice": d, "jaccard": d / 2, "n_images": 14, "passes": 50.0, "checks": ""}
                for e, d in ((0.0, 0.95), (8.0, worst_dice8), (32.0, 0.12345))]
        write_robustness_table(rows, run / "worst" / "robustness" / "robustness.csv")


SCREEN = {"epsilons": [8, 32], "test_list": "$nlcen_monai.data.evaluation_subset(@dataset_dir, 'selection', every=9)"}


def campaign(out: Path) -> None:
    write_run(out, "clean", "val_mean_dice,0.9612\nval_mean_iou,0.9255\n", ["00:03:20.000", "00:01:01.500", "00:01:00.100", "00:01:02.000"], 0.1)
    write_run(out, "at32_mix", "val_mean_dice,0.95\nval_mean_iou,0.906\n",
              ["00:03:20.000", "00:02:00.500", "00:01:58.250", "00:01:59.000", "00:02:01.000"], 0.5)
    # a resumed training logs epoch 3 again: the last time counts
    with open(out / "at32_mix" / "train.log", "a") as f:
        f.write(LOG_LINE.format(3, "00:02:05.500"))
    write_run(out, "at8", "val_mean_dice,0.955\n", [])  # no log, no JSC, no screen
    (out / "screen.json").write_text(json.dumps(SCREEN))


def save_screen(folder: Path, scores: dict[float, list[float]], first: int = 0) -> None:
    """A screen's per-image record: ``scores[eps][i]`` is image ``c{first + i}``'s worst-case DIC."""
    result = RobustnessResult(attack="worst_case")
    result.add([{"case_id": f"c{first + i}", "attack": "worst_case", "eps": e, "dice": d, "jaccard": d / 2}
                for e, values in scores.items() for i, d in enumerate(values)])
    result.save(ResultFiles.in_dir(folder / "worst" / "robustness"))


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


def paired(a: list[float], b: list[float]) -> str:
    mean, low, high, _ = paired_difference_interval(a, b)
    return f"{mean:+.4f} [{low:+.4f}, {high:+.4f}]"


class TestCampaignTable(unittest.TestCase):
    def test_table_and_csv(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp)
            campaign(out)
            err = io.StringIO()
            with contextlib.redirect_stderr(err):
                text = printed(campaign_table.main, [tmp, "--runs", "clean", "at32_mix", "at8", "clean", "--reference", "at32_mix"])
            lines = text.splitlines()
            self.assertEqual(len([line for line in lines if line.startswith("| ")]), 4)  # header and each run once
            # these older screens hold no per-image record: no paired difference can be taken, and the command says so
            self.assertIn("minus the reference, eps 8 / 32 (n)", lines[0])
            self.assertIn("no per-image record at", err.getvalue())
            self.assertIn(
                "| clean | `--epochs 30 clean` | 4 | 0.970 / 0.940 | 0.961 / 0.925 | 0.100 / 0.123 (n 14) | - "
                "| 61.5 | 1.00 |", lines
            )
            self.assertIn(
                "| at32_mix | `--epochs 30 at32_mix` | 5 | 0.970 / 0.940 | 0.950 / 0.906 | 0.500 / 0.123 (n 14) | - "
                "| 120.8 | 1.96 |",
                lines,
            )
            self.assertIn("| at8 | `--epochs 30 at8` | 0 | 0.970 / 0.940 | 0.955 / - | - / - | - | - | - |", lines)
            # no per-image values behind these records: no interval, said once
            self.assertEqual([line for line in lines if line.startswith("No interval")],
                             ["No interval: clean, at32_mix, at8 hold(s) no per-image values behind the figures printed "
                              "without one (an older record), so no interval can be computed from it; those figures carry "
                              "their n alone, where the record gives it."])
            self.assertTrue(lines[-1].startswith(
                "screen: the worst case of configs/attacks/strong.json with configs/attacks/budget_js300.json on the test "
                "images `nlcen_monai.data.evaluation_subset(@dataset_dir, 'selection', every=9)`"))
            csv_lines = (out / "campaign.csv").read_text().splitlines()
            self.assertEqual(csv_lines[0].split(",")[:3], ["run", "overrides", "epochs"])
            self.assertEqual(csv_lines[2].split(",")[-2:], ["120.75", "1.9634146341463414"])  # median of 120.5, 125.5, 119, 121

    def test_means_with_their_intervals_and_paired_differences(self):
        clean_dice, clean_iou = [0.95, 0.9, 0.97, 0.93], [0.9, 0.82, 0.94, 0.87]
        val_dice, val_iou = [0.96, 0.98, 0.97], [0.92, 0.96, 0.94]
        reference = {8.0: [0.6, 0.3, 0.7, 0.5], 32.0: [0.2, 0.05, 0.3, 0.1]}
        # the run holds one more image (c4), which the reference lacks: the differences leave it out
        run = {8.0: [0.7, 0.41, 0.8, 0.62, 0.0], 32.0: [0.1, 0.3, 0.2, 0.05, 0.0]}
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp)
            for name in ("at32_mix_rand", "at8"):
                write_run(out, name, "val_mean_dice,0.9375\nval_mean_iou,0.8825\n", [])
                write_raw(out / name / "eval_clean", {"val_mean_dice": clean_dice, "val_mean_iou": clean_iou})
                write_raw(out / name / "eval_val", {"val_mean_dice": val_dice, "val_mean_iou": val_iou})
            save_screen(out / "at32_mix_rand", reference)
            save_screen(out / "at8", run)
            (out / "screen.json").write_text(json.dumps(SCREEN))
            lines = printed(campaign_table.main, [tmp, "--runs", "at32_mix_rand", "at8", "--reference", "at32_mix_rand"]).splitlines()
            header = (out / "campaign.csv").read_text().splitlines()[0].split(",")
        clean = f"{interval(clean_dice, 0.9375)} / {interval(clean_iou, 0.8825)} (n 4)"
        val = f"{interval(val_dice, 0.97)} / {interval(val_iou, 0.94)} (n 3)"
        self.assertEqual(
            lines[2], f"| at32_mix_rand | `--epochs 30 at32_mix_rand` | 0 | {val} | {clean} "
            f"| {interval(reference[8.0])} / {interval(reference[32.0])} (n 4) | - | - | - |")
        # at eps 8 every common image gains 0.1-0.12: better; at eps 32 the gains and losses straddle zero: no decision
        diff8, diff32 = paired(run[8.0][:4], reference[8.0]), paired(run[32.0][:4], reference[32.0])
        self.assertEqual(
            lines[3], f"| at8 | `--epochs 30 at8` | 0 | {val} | {clean} "
            f"| {interval(run[8.0])} / {interval(run[32.0])} (n 5) | {diff8} better / {diff32} (n 4) | - | - |")
        self.assertFalse(any(line.startswith("No interval") for line in lines))
        for column in ("worst_dice_eps8_low", "val_images", "clean_images", "diff_eps32_high", "decision_eps8", "diff_images"):
            self.assertIn(column, header)

    def test_reference_from_a_committed_record(self):
        reference = {8.0: [0.6, 0.3, 0.7], 32.0: [0.2, 0.05, 0.3]}
        run = {8.0: [0.5, 0.2, 0.61], 32.0: [0.1, 0.0, 0.2]}
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "campaign"
            write_run(out, "at32_mix_rand_ema", "val_mean_dice,0.95\n", [])
            save_screen(out / "at32_mix_rand_ema", run)
            save_screen(Path(tmp) / "committed", reference)  # a record folder, as results/<bundle>/<version>/ keeps them
            (out / "screen.json").write_text(json.dumps(SCREEN))
            record = Path(tmp) / "committed" / "worst" / "robustness"
            lines = printed(campaign_table.main, [str(out), "--runs", "at32_mix_rand_ema", "--reference", f"at32_mix_rand={record}"]).splitlines()
        self.assertIn("minus at32_mix_rand, eps 8 / 32 (n)", lines[0])
        diff8, diff32 = paired(run[8.0], reference[8.0]), paired(run[32.0], reference[32.0])
        self.assertIn(f"| {diff8} worse / {diff32} worse (n 3) |", lines[2])

    def test_write_then_check_a_document(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "campaign"
            campaign(out)
            doc = Path(tmp) / "doc.md"
            doc.write_text(f"before\n{campaign_table.BEGIN_MARKER}\nOLD-TABLE\n{campaign_table.END_MARKER}\nafter\n")
            printed(campaign_table.main, [str(out), "--runs", "at32_mix", "--write", str(doc)])
            text = doc.read_text()
            self.assertIn("| at32_mix | `--epochs 30 at32_mix` |", text)
            self.assertNotIn("OLD-TABLE", text)
            self.assertNotIn("screen: the worst case", text)  # the sentence stays out of the block
            (out / "campaign.csv").unlink()
            printed(campaign_table.main, [str(out), "--runs", "at32_mix", "--check", str(doc)])
            self.assertFalse((out / "campaign.csv").exists())  # a check writes nothing
            doc.write_text(text.replace("0.500 / 0.123", "0.510 / 0.123"))
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as err:
                self.assertEqual(campaign_table.main([str(out), "--runs", "at32_mix", "--check", str(doc)]), 1)
            self.assertIn("the campaign table differs", err.getvalue())

    def test_docs_quote_the_committed_campaign_records(self):
        """docs/defense.md's table is the one the committed records under results/nlcen_jsrt/0.5.1/campaign give."""
        repo = Path(__file__).resolve().parents[2]
        records = repo / "results" / "nlcen_jsrt" / "0.5.1" / "campaign"
        runs = ["at32_mix_rand_ema", "at32_mix_rand_aug", "at32_trades6", "at32_trades1", "at32_mix_nfgsm_elle", "at32_adv",
                "at32_mix_cw25", "at32_mix_e60", "at32_mix_ft",
                "at32_mix_rand_pgd2", "at32_mix_w1"]
        reference = repo / "results" / "nlcen_jsrt" / "0.5.1" / "selection_budget" / "js300"
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as err:
            status = campaign_table.main([str(records), "--runs", *runs, "--reference", f"at32_mix_rand={reference}",
                                          "--check", str(repo / "docs" / "defense.md")])
        self.assertEqual(status, 0, err.getvalue())

    def test_no_reference_screen_no_differences(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp)
            campaign(out)
            lines = printed(campaign_table.main, [tmp, "--runs", "at32_mix", "--reference", "at32_mix_rand"]).splitlines()
        # the reference's folder holds no screen: the command takes no reference
        self.assertIn("minus the reference", lines[0])
        self.assertTrue(lines[2].endswith("| 0.500 / 0.123 (n 14) | - | 120.8 | - |"), lines[2])

    def test_epoch_seconds_without_log(self):
        self.assertEqual(campaign_table.epoch_seconds("/nonexistent/train.log"), (None, 0))


if __name__ == "__main__":
    unittest.main()
