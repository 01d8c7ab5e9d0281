"""The model nlcen_jsrt ships: it loads with weights_only=True after its checksum, the bundle's configs
match it, it reaches its model card's clean Dice on the real JSRT test images (skipped without them), and
inference.json segments a folder with it out of the box."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from monai.bundle import ConfigParser

from nlcen_monai.data import evaluation_subset
from nlcen_monai.workflows import released_model, verify_checksum
from tests.bundles.bundle_utils import REPO

BUNDLE = REPO / "bundles" / "nlcen_jsrt"
MODELS = BUNDLE / "models"
JSRT_PNG = REPO / ".." / "shared" / "data" / "jsrt_png"
METADATA = json.loads((BUNDLE / "configs" / "metadata.json").read_text())
# the released model's per-image Dice on two JSRT test cases, from evaluate.json at 128 x 128
# (eval/val_mean_dice_raw.csv of the model card's clean evaluation); update them with the model
EVALUATED_DICE = {"JPCLN002": 0.8687, "JPCNN010": 0.9418}


def inference_parser(**override) -> ConfigParser:
    parser = ConfigParser()
    parser.read_config(str(BUNDLE / "configs" / "inference.json"))
    for key, value in override.items():
        parser[key] = value
    return parser


def test_released_model_loads_after_its_checksum():
    assert released_model("nlcen_jsrt", search=[REPO]) == str(MODELS / "model.pt")
    verify_checksum(MODELS / "model.pt")
    assert (MODELS / "model.pt").stat().st_size <= 25 * 2**20
    state = torch.load(MODELS / "model.pt", map_location="cpu", weights_only=True)
    network = inference_parser().get_parsed_content("network_def")
    network.load_state_dict(state, strict=True)  # the bundle's defaults build the network it ships


def test_metadata_matches_the_released_model():
    parser = inference_parser()
    size = parser.get_parsed_content("image_size")
    shape = METADATA["network_data_format"]["inputs"]["image"]["spatial_shape"]
    assert shape == [size, size] == METADATA["network_data_format"]["outputs"]["pred"]["spatial_shape"]
    train = ConfigParser()
    train.read_config(str(BUNDLE / "configs" / "train.json"))
    assert (train["image_size"], train["width"]) == (parser["image_size"], parser["width"])
    metrics = METADATA["eval_metrics"]
    assert 0.0 < metrics["clean_dice"] <= 1.0
    assert METADATA["version"] in METADATA["changelog"]


def _convert(out_dir):
    cmd = [sys.executable, str(REPO / "data_prep" / "jsrt.py"), "--png-dir", str(JSRT_PNG), "--out", str(out_dir),
           "--size", str(METADATA["network_data_format"]["inputs"]["image"]["spatial_shape"][0])]
    subprocess.run(cmd, check=True, capture_output=True)


@pytest.mark.skipif(not JSRT_PNG.is_dir(), reason="real JSRT data not available")
@pytest.mark.slow
def test_released_model_reaches_its_model_card_clean_dice(tmp_path):
    """Clean DIC on all 123 real JSRT test images, with evaluate.json and no --ckpt_dir (the released model): the
    card's 0.923 on all of them, and metadata.json's clean_dice (generated from the reporting record) on the 109
    reporting images."""
    _convert(tmp_path / "jsrt")
    cmd = [sys.executable, "-m", "monai.bundle", "run", "--config_file",
           str([str(BUNDLE / "configs" / "train.json"), str(BUNDLE / "configs" / "evaluate.json")]),
           "--meta_file", str(BUNDLE / "configs" / "metadata.json"), "--dataset_dir", str(tmp_path / "jsrt"),
           "--output_dir", str(tmp_path / "eval"), "--num_workers", "0"]
    result = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, env=dict(os.environ, OMP_NUM_THREADS="2"))
    assert result.returncode == 0, result.stderr[-3000:]
    with open(tmp_path / "eval" / "metrics.csv") as f:
        metrics = {row[0]: float(row[1]) for row in csv.reader(f) if row}
    with open(tmp_path / "eval" / "val_mean_dice_raw.csv") as f:
        dice = {os.path.basename(row["filename"]): float(row["mean"]) for row in csv.DictReader(f)}
    assert len(dice) == 123
    assert round(metrics["val_mean_dice"], 3) == 0.923
    reporting = [os.path.basename(d["image"]) for d in evaluation_subset(tmp_path / "jsrt", "reporting")]
    assert len(reporting) == METADATA["eval_metrics"]["clean_dice_n"] == 109
    assert abs(np.mean([dice[name] for name in reporting]) - METADATA["eval_metrics"]["clean_dice"]) <= 1e-4


def test_inference_segments_a_folder_with_the_released_model(tmp_path):
    """inference.json with only an input and an output folder: the released model, masks at each image's size."""
    from PIL import Image

    inputs = tmp_path / "inputs"
    inputs.mkdir()
    if JSRT_PNG.is_dir():  # two real test radiographs: inference.json must reproduce the evaluation's Dice on them
        names = list(EVALUATED_DICE)
        for name in names:
            Image.open(JSRT_PNG / "images" / f"{name}.png").resize((300, 300)).save(inputs / f"{name}.png")
    else:
        names = ["noise"]
        Image.fromarray((np.random.default_rng(0).random((300, 300)) * 255).astype(np.uint8)).save(inputs / "noise.png")
    cmd = [sys.executable, "-m", "monai.bundle", "run", "--config_file", str(BUNDLE / "configs" / "inference.json"),
           "--meta_file", str(BUNDLE / "configs" / "metadata.json"),
           "--input_dir", str(inputs), "--output_dir", str(tmp_path / "predictions")]
    result = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, env=dict(os.environ, OMP_NUM_THREADS="2"))
    assert result.returncode == 0, result.stderr[-3000:]
    with open(tmp_path / "predictions" / "predictions.csv") as f:
        rows = {os.path.basename(r["image"]): r for r in csv.DictReader(f)}
    assert set(rows) == {f"{n}.png" for n in names}
    for name in names:
        mask = np.asarray(Image.open(rows[f"{name}.png"]["mask_png"])) > 0
        assert mask.shape == (300, 300)
        if JSRT_PNG.is_dir():
            truth = np.asarray(Image.open(JSRT_PNG / "masks" / f"{name}.png").resize((300, 300), Image.NEAREST)) > 0
            dice = 2 * (mask & truth).sum() / (mask.sum() + truth.sum())
            assert abs(dice - EVALUATED_DICE[name]) <= 0.01, (name, dice, EVALUATED_DICE[name])
