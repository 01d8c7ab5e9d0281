"""A bad bundle setting stops `python -m monai.bundle run` before any work, named in the last line the user sees."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from nlcen_monai.prep import make_synthetic_dataset

from tests.bundles.bundle_utils import REPO

# (bundle, config files, bad settings, the message's text); every other setting is valid
CASES = [
    ("nlcen_jsrt", ["train.json"], ["--epochs", "-1"], "epochs -1 is not a positive integer"),
    ("nlcen_jsrt", ["train.json"], ["--image_size", "100"], "image_size 100 is not divisible by 32, which NLCEN needs"),
    ("nlcen_jsrt", ["train.json"], ["--dataset_dir", "/nonexistent"], "dataset_dir '/nonexistent' does not exist"),
    ("nlcen_jsrt", ["inference.json"], ["--input_dir", "/nonexistent"], "input_dir '/nonexistent' does not exist"),
]


@pytest.fixture(scope="module")
def dataset_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    return os.path.dirname(make_synthetic_dataset(root, num_train=2, num_test=1, size=32, seed=0))


@pytest.mark.parametrize("bundle, configs, bad, message", CASES)
def test_bad_setting_named_last_and_nothing_written(tmp_path, dataset_dir, bundle, configs, bad, message):
    files = [str(REPO / "bundles" / bundle / "configs" / c) for c in configs]
    cmd = [sys.executable, "-m", "monai.bundle", "run", "--config_file", repr(files), "--bundle_root", str(tmp_path),
           "--dataset_dir", dataset_dir, "--input_dir", dataset_dir + "/images", *bad]
    result = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert result.returncode == 1, result.stderr[-2000:]
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("bad bundle setting: ") and message in last, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no models/, eval/ or TensorBoard files
