"""Tests for the corruption evaluation runner: every row recorded, resume after a kill, seeds, progress, summary."""

from __future__ import annotations

import json
import tempfile
import unittest
from pathlib import Path

import torch
import torch.nn as nn

from nlcen_monai.data import chest_phantom
from nlcen_monai.data import case_id
from nlcen_monai.engines import CorruptionEvaluation
from nlcen_monai.robustness import CLEAN, read_corruption_record, summarise_corruptions

CORRUPTIONS = ["gaussian_noise", "contrast", "jpeg"]
SEVERITIES = [1, 3, 5]
NUM_IMAGES = 5


class ThresholdNet(nn.Module):
    """Lung where the image is darker than ``level``: a fixed 'network' whose Dice corruptions change.

    Args:
        fail_after: raise on that many calls (a killed run); None never.
    """

    def __init__(self, level: float = 128.0, fail_after: int | None = None) -> None:
        super().__init__()
        self.level, self.fail_after, self.calls = level, fail_after, 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        if self.fail_after is not None and self.calls > self.fail_after:
            raise RuntimeError("killed")
        return torch.cat([x - self.level, self.level - x], dim=1)


def items(num: int = NUM_IMAGES, size: int = 32) -> list[dict]:
    """Test items already preprocessed: (1, size, size) images in [0, 255] and their lung labels."""
    data = []
    for i in range(num):
        image, mask = chest_phantom(size, i)
        data.append({"image": f"/data/images/case{i}.png", "pixels": torch.tensor(image[None], dtype=torch.float32),
                     "label": torch.tensor(mask[None], dtype=torch.float32)})
    return data


def preprocess(item: dict) -> dict:
    """What a bundle's loading chain gives: the image tensor under "image"."""
    return {"image": item["pixels"], "label": item["label"]}


class TestCorruptionEvaluation(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.root = Path(self.tmp.name)

    def tearDown(self):
        self.tmp.cleanup()

    def evaluation(self, out: str = "out", network: nn.Module | None = None, **kwargs) -> CorruptionEvaluation:
        settings = dict(corruptions=CORRUPTIONS, severities=SEVERITIES, batch_size=2, n_boot=200, seed=3, figure=None)
        settings.update(kwargs)
        return CorruptionEvaluation(network or ThresholdNet(), items(), preprocess, self.root / out, **settings)

    def test_the_record_has_every_row(self):
        evaluation = self.evaluation(figure="curves.png")
        summary = evaluation.run()
        rows = read_corruption_record(evaluation.record_path)
        self.assertEqual(len(rows), NUM_IMAGES * (1 + len(CORRUPTIONS) * len(SEVERITIES)))
        units = {(r["corruption"], r["severity"]) for r in rows}
        self.assertEqual(units, {(CLEAN, 0)} | {(c, s) for c in CORRUPTIONS for s in SEVERITIES})
        for unit in units:
            self.assertEqual(sorted(r["case"] for r in rows if (r["corruption"], r["severity"]) == unit),
                             [f"case{i}" for i in range(NUM_IMAGES)])
        self.assertEqual({r["parameter"] for r in rows if r["corruption"] == "jpeg"}, {50.0, 20.0, 5.0})
        # the summary on disk is the one returned and a function of the record alone
        self.assertEqual(json.loads(evaluation.summary_path.read_text()), json.loads(json.dumps(summary)))
        self.assertEqual(summary, summarise_corruptions(rows, n_boot=200))
        clean = summary["rows"][0]
        self.assertEqual((clean["corruption"], clean["n"]), (CLEAN, NUM_IMAGES))
        self.assertGreater(clean["mean"], 0.5)  # the thresholding 'network' does segment the phantoms
        # low contrast pulls the lungs above the threshold: the Dice falls
        contrast = {r["severity"]: r["mean"] for r in summary["rows"] if r["corruption"] == "contrast"}
        self.assertLess(contrast[5], clean["mean"])
        self.assertEqual((self.root / "out" / "curves.png").read_bytes()[:8], b"\x89PNG\r\n\x1a\n")

    def test_a_rerun_skips_the_recorded_units(self):
        self.evaluation().run()
        record = (self.root / "out" / "per_image.csv").read_text()
        network = ThresholdNet()
        self.evaluation(network=network).run()
        self.assertEqual(network.calls, 0)
        self.assertEqual((self.root / "out" / "per_image.csv").read_text(), record)
        self.evaluation(network=network, resume=False).run()  # resume off: every unit again
        self.assertEqual(network.calls, 3 * (1 + len(CORRUPTIONS) * len(SEVERITIES)))  # 3 batches a unit

    def test_a_killed_run_resumes_to_the_uninterrupted_record(self):
        self.evaluation("whole").run()
        killed = ThresholdNet(fail_after=7)  # in the middle of the third unit (3 batches a unit)
        with self.assertRaisesRegex(RuntimeError, "killed"):
            self.evaluation("resumed", network=killed).run()
        units = {(r["corruption"], r["severity"]) for r in read_corruption_record(self.root / "resumed" / "per_image.csv")}
        self.assertEqual(units, {(CLEAN, 0), ("gaussian_noise", 1)})  # the finished units only
        network = ThresholdNet()
        self.evaluation("resumed", network=network).run()
        self.assertEqual(network.calls, 3 * (len(CORRUPTIONS) * len(SEVERITIES) - 1))  # only the missing units
        for name in ("per_image.csv", "summary.json"):
            self.assertEqual((self.root / "resumed" / name).read_text(), (self.root / "whole" / name).read_text())

    def test_changed_parameters_are_computed_again(self):
        self.evaluation().run()
        network = ThresholdNet()
        # severity 1 keeps the table's quality 50; 3 and 5 change (10 for 20, 1 for 5): two units again
        self.evaluation(network=network, corruptions={"jpeg": [50, 30, 10, 5, 1]}).run()
        self.assertEqual(network.calls, 2 * 3)  # 3 batches a unit
        rows = read_corruption_record(self.root / "out" / "per_image.csv")
        jpeg = {r["severity"]: r["parameter"] for r in rows if r["corruption"] == "jpeg"}
        self.assertEqual(jpeg, {1: 50.0, 3: 10.0, 5: 1.0})
        self.assertTrue(any(r["corruption"] == "contrast" for r in rows))  # other corruptions' rows are kept

    def test_same_seed_same_record_other_seed_other_noise(self):
        self.evaluation("a").run()
        self.evaluation("b").run()
        self.evaluation("c", seed=4).run()
        record = {d: (self.root / d / "per_image.csv").read_text() for d in "abc"}
        self.assertEqual(record["a"], record["b"])
        self.assertNotEqual(record["a"], record["c"])

    def test_progress_is_logged_with_units_of_the_total(self):
        with self.assertLogs("nlcen_monai.engines.corruption_evaluation", level="INFO") as logs:
            self.evaluation(progress_interval_s=1e-9).run()
        total = NUM_IMAGES * (1 + len(CORRUPTIONS) * len(SEVERITIES))
        self.assertTrue(any(f"progress: 2/{total} images" in line and "left ~" in line for line in logs.output))
        self.assertTrue(any(f"progress: completed {total}/{total} images" in line for line in logs.output))

    def test_bad_settings_are_refused(self):
        with self.assertRaisesRegex(ValueError, "out of range"):
            self.evaluation(severities=[1, 6])
        with self.assertRaisesRegex(ValueError, "unknown corruption"):
            self.evaluation(corruptions=["fog"])
        with self.assertRaisesRegex(ValueError, "distinct file names"):
            CorruptionEvaluation(ThresholdNet(), items()[:1] * 2, preprocess, self.root)

    def test_record_names_cases_as_the_robustness_record_does(self):
        data = items()[:2]
        data[1] = {**data[1], "image": "/data/images/scan.NII.GZ"}
        evaluation = CorruptionEvaluation(ThresholdNet(), data, preprocess, self.root)
        self.assertEqual(evaluation.cases, ["case0", "scan"])
        self.assertEqual(evaluation.cases, [case_id(d["image"]) for d in data])


if __name__ == "__main__":
    unittest.main()
