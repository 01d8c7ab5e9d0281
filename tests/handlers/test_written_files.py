"""SaveSegmentationd writes NIfTI and PNG masks and records them; WrittenFilesCSV lists them in predictions.csv, atomically."""

from __future__ import annotations

import csv
import os

import numpy as np
import torch
from ignite.engine import Engine
from monai.data import MetaTensor
from PIL import Image

from nlcen_monai.data import SaveSegmentationd
from nlcen_monai.handlers import WrittenFilesCSV


def test_save_segmentation_and_csv(tmp_path):
    label = torch.zeros(1, 6, 8)
    label[0, 2:4, 3:6] = 1
    meta = {"filename_or_obj": str(tmp_path / "case.jpg"), "original_channel_dim": -1, "spatial_shape": (6, 8),
            "affine": torch.eye(3, dtype=torch.float64)}
    item = SaveSegmentationd("pred", str(tmp_path / "out"))({"pred": MetaTensor(label, meta=meta)})
    written = item["pred"].meta["written_files"]
    assert set(written) == {"mask_nii", "mask_png"}
    png = np.asarray(Image.open(written["mask_png"]))
    assert png.dtype == np.uint8 and set(np.unique(png)) == {0, 255} and (png == 255).sum() == 6

    writer = WrittenFilesCSV(str(tmp_path / "out" / "predictions.csv"))
    engine = Engine(lambda e, b: [item])
    writer.attach(engine)
    engine.run([0], max_epochs=1)
    csv_path = tmp_path / "out" / "predictions.csv"
    assert csv_path.read_text().splitlines()[0] == "image,status,mask_nii,mask_png"
    with open(csv_path) as f:
        rows = list(csv.DictReader(f))
    assert rows == [
        {"image": str(tmp_path / "case.jpg"), "status": "ok", "mask_nii": written["mask_nii"], "mask_png": written["mask_png"]}
    ]
    assert not list((tmp_path / "out").glob("*.tmp"))
    umask = os.umask(0o022)
    os.umask(umask)
    assert csv_path.stat().st_mode & 0o777 == 0o666 & ~umask  # readable by the team, like the masks


def test_failures_and_quality_columns(tmp_path):
    """A failed input gets its row and reason; quality measures become columns after the status; rows sorted by file."""
    label = MetaTensor(torch.zeros(1, 4, 4), meta={"filename_or_obj": "b.png"})
    failures = [{"image": "a.jpg", "status": "failed: OSError: image file is truncated"}]
    writer = WrittenFilesCSV(str(tmp_path / "predictions.csv"), failures=failures)
    engine = Engine(lambda e, b: [{"pred": label, "quality": {"quality": "ok", "components": 2.0}}])
    writer.attach(engine)
    engine.run([0], max_epochs=1)
    with open(tmp_path / "predictions.csv") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == ["image", "status", "quality", "components"]
        rows = list(reader)
    assert [r["image"] for r in rows] == ["a.jpg", "b.png"]
    assert rows[0]["status"].startswith("failed: OSError") and rows[0]["quality"] == ""
    assert rows[1]["status"] == "ok" and rows[1]["components"] == "2.0"


def test_write_without_a_run(tmp_path):
    """When every input failed the engine never runs: write() still lists them."""
    writer = WrittenFilesCSV(str(tmp_path / "p.csv"), failures=[{"image": "x.dcm", "status": "failed: constant image"}])
    writer.write()
    assert (tmp_path / "p.csv").read_text().splitlines() == ["image,status", "x.dcm,failed: constant image"]
