"""configs/corruptions.json over the JSRT bundle's train.json + evaluate.json: the corruption suite on the demo model.

One module-scoped training (the demo override, six epochs) feeds the tests; the suite runs 2 corruptions x 2
severities on the demo's 8 test images.
"""

from __future__ import annotations

import csv
import unittest
from pathlib import Path

import pytest

from nlcen_monai.robustness import CLEAN, read_corruption_record
from tests.bundles.bundle_utils import REPO, copy_bundle, run_workflow

# six epochs: a demo model that segments (clean Dice about 0.9), so that the comparisons below mean something
FAST = {"epochs": 6, "num_workers": 0, "progress_bar": False}
SUITE = {"corruptions": ["gaussian_noise", "bias_field"], "severities": [1, 5]}
CORRUPTIONS = str(REPO / "configs" / "corruptions.json")
NUM_TEST = 8  # the demo's synthetic test images


@pytest.fixture(scope="module")
def suite(tmp_path_factory):
    """A demo model (six epochs), its clean evaluation, and the corruption suite's first run."""
    work = tmp_path_factory.mktemp("corruptions")
    bundle = copy_bundle("nlcen_jsrt", work)
    common = {"ckpt_dir": str(work / "models"), "output_dir": str(work / "eval"), **FAST}
    run_workflow(bundle, ["train.json"], work, **common)
    run_workflow(bundle, ["train.json", "evaluate.json"], work, **common)
    run_workflow(bundle, ["train.json", "evaluate.json", CORRUPTIONS], work, **common, **SUITE)
    return {"work": work, "bundle": bundle, "common": common, "out": work / "eval" / "corruptions"}


def test_the_suite_records_every_image_unit_and_a_summary(suite):
    rows = read_corruption_record(suite["out"] / "per_image.csv")
    units = {(c, s) for c in SUITE["corruptions"] for s in SUITE["severities"]} | {(CLEAN, 0)}
    assert {(r["corruption"], r["severity"]) for r in rows} == units
    assert len(rows) == NUM_TEST * len(units)
    assert (suite["out"] / "summary.json").is_file()
    assert (suite["out"] / "corruptions.png").is_file()
    assert not any(p.name == "per_image.csv" for p in suite["bundle"].rglob("*"))  # nothing inside the bundle


def test_clean_dice_is_the_bundles_evaluation(suite):
    """The suite's clean images are the bundle's: the same preprocessing and model give evaluate.json's Dice."""
    with open(suite["work"] / "eval" / "val_mean_dice_raw.csv") as f:
        evaluated = {Path(r["filename"]).stem: float(r["class0"]) for r in csv.DictReader(f)
                     if r["filename"] not in ("mean", "median")}
    clean = {r["case"]: r["dice"] for r in read_corruption_record(suite["out"] / "per_image.csv") if r["corruption"] == CLEAN}
    assert set(clean) == set(evaluated)
    assert sum(clean.values()) / len(clean) > 0.8
    for case, dice in clean.items():
        assert dice == pytest.approx(evaluated[case], abs=1e-5)


def test_a_rerun_skips_the_recorded_units(suite):
    before = (suite["out"] / "per_image.csv").read_text()
    with unittest.TestCase().assertLogs("nlcen_monai.engines.corruption_evaluation", level="INFO") as logs:
        run_workflow(suite["bundle"], ["train.json", "evaluate.json", CORRUPTIONS], suite["work"], **suite["common"], **SUITE)
    assert any("5 units already in" in line for line in logs.output)
    assert (suite["out"] / "per_image.csv").read_text() == before
