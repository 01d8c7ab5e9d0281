"""inference.json on a clinic's folder, with the released model: 8-bit, 16-bit and 12-bit PNG and DICOM
MONOCHROME1/2 copies of one radiograph give the 8-bit copy's mask on their own grid, a truncated JPEG is
named and does not stop the others, the run exits non-zero; a missing or tampered checkpoint stops the run
with one line before anything is written; the Python entry point gives the same masks."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
from PIL import Image

from nlcen_monai.data import chest_phantom
from nlcen_monai.inference import Segmenter
from tests.bundles.bundle_utils import REPO
from tests.data.radiograph_files import write_radiograph_copies, write_truncated_jpeg

BUNDLE = REPO / "bundles" / "nlcen_jsrt"


def _infer(inputs: Path, output: Path, *extra: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "monai.bundle", "run", "--config_file", str(BUNDLE / "configs" / "inference.json"),
           "--meta_file", str(BUNDLE / "configs" / "metadata.json"), "--bundle_root", str(BUNDLE),
           "--input_dir", str(inputs), "--output_dir", str(output), *extra]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, env=dict(os.environ, OMP_NUM_THREADS="2"))


@pytest.fixture(scope="module")
def clinic_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("clinic")
    image, _ = chest_phantom(size=300, rng=7)
    image = image[:, 20:280].astype(np.float64)  # 300 rows, 260 columns
    grey = np.rint((image - image.min()) * 255 / (image.max() - image.min())).astype(np.uint8)
    files = write_radiograph_copies(grey, tmp / "inputs")
    files["broken"] = write_truncated_jpeg(grey, tmp / "inputs" / "broken.jpg")
    result = _infer(tmp / "inputs", tmp / "masks")
    with open(tmp / "masks" / "predictions.csv") as f:
        rows = {Path(r["image"]).name: r for r in csv.DictReader(f)}
    return {"tmp": tmp, "grey": grey, "files": files, "result": result, "rows": rows}


def test_every_good_radiograph_gets_the_8bit_mask_on_its_own_grid(clinic_run):
    rows, files = clinic_run["rows"], clinic_run["files"]
    assert set(rows) == {p.name for p in files.values()}
    reference = np.asarray(Image.open(rows[files["png8"].name]["mask_png"])) > 0
    assert reference.shape == clinic_run["grey"].shape and 0.05 < reference.mean() < 0.8
    for kind in ("png16", "png12", "dicom_m2", "dicom_m1"):
        row = rows[files[kind].name]
        assert row["status"] == "ok" and row["quality"] and float(row["uncertain_fraction"]) >= 0, kind
        mask = np.asarray(Image.open(row["mask_png"])) > 0
        assert mask.shape == reference.shape, kind
        dice = 2 * (mask & reference).sum() / (mask.sum() + reference.sum())
        assert dice >= 0.95, (kind, dice)
    nifti = nib.load(rows[files["dicom_m1"].name]["mask_nii"])
    assert nifti.shape[:2] == (260, 300)  # columns first, as MONAI writes every 2-D mask
    np.testing.assert_allclose(np.abs(np.diag(nifti.affine))[:2], [0.25, 0.5])  # the DICOM's pixel spacing


def test_the_corrupt_file_is_named_and_the_run_fails(clinic_run):
    result, rows, broken = clinic_run["result"], clinic_run["rows"], clinic_run["files"]["broken"]
    assert result.returncode == 1
    assert rows[broken.name]["status"].startswith("failed: OSError: image file is truncated")
    assert rows[broken.name]["mask_png"] == ""
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("1 of 6 images could not be segmented") and str(broken) in last
    assert "Traceback" not in result.stderr


def test_python_entry_point_gives_the_bundles_masks(clinic_run):
    segmenter = Segmenter.from_bundle(BUNDLE, device="cpu")
    rows, files = clinic_run["rows"], clinic_run["files"]
    for kind in ("png8", "dicom_m1"):
        written = np.asarray(Image.open(rows[files[kind].name]["mask_png"])) > 0
        result = segmenter.segment(files[kind])
        np.testing.assert_array_equal(result.mask, written)
        assert result.quality["quality"] == rows[files[kind].name]["quality"]
    np.testing.assert_array_equal(segmenter.segment(clinic_run["grey"]).mask, segmenter.segment(files["png8"]).mask)


@pytest.mark.slow
def test_missing_or_tampered_checkpoint_stops_before_anything_is_written(clinic_run):
    tmp = clinic_run["tmp"]
    result = _infer(tmp / "inputs", tmp / "never", "--ckpt_dir", str(tmp / "nowhere"))
    last = result.stderr.strip().splitlines()[-1]
    assert result.returncode == 1 and "nowhere" in last and "holds no model.pt" in last
    assert "Traceback" not in result.stderr and not (tmp / "never").exists()
    tampered = tmp / "tampered"
    shutil.copytree(BUNDLE / "models", tampered)
    data = bytearray((tampered / "model.pt").read_bytes())
    data[-100] ^= 0x01
    (tampered / "model.pt").write_bytes(bytes(data))
    result = _infer(tmp / "inputs", tmp / "never", "--ckpt_dir", str(tampered))
    assert result.returncode == 1 and "does not match its checksum" in result.stderr.strip().splitlines()[-1]
    assert not (tmp / "never").exists()
    result = _infer(tmp / "inputs", tmp / "no_parent" / "masks")
    assert result.returncode == 1 and "no_parent' does not exist" in result.stderr.strip().splitlines()[-1]
