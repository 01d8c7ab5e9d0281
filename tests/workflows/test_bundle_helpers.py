"""Tests for the bundle helpers: datalists, checkpoints, handler attachment, channel matching, segmentation writer."""

from __future__ import annotations

import csv
import json
import os

import numpy as np
import pytest
import torch
from ignite.engine import Engine, Events
from monai.data import MetaTensor
from PIL import Image

from nlcen_monai.workflows import (
    MatchChanneld,
    SaveSegmentationd,
    WrittenFilesCSV,
    attach_handlers,
    latest_checkpoint,
    list_images,
    load_datalist,
    mask_column,
    match_channels,
)


def test_load_datalist(tmp_path):
    (tmp_path / "a.png").touch()
    (tmp_path / "datalist.json").write_text(json.dumps({"training": [{"image": "a.png", "label": "a.png"}], "test": []}))
    items = load_datalist(tmp_path, "training")
    assert items == [{"image": str(tmp_path / "a.png"), "label": str(tmp_path / "a.png")}]
    with pytest.raises(ValueError, match="no items under 'test'"):
        load_datalist(tmp_path, "test")
    with pytest.raises(FileNotFoundError, match="missing_dir"):
        load_datalist(tmp_path / "missing_dir")
    with pytest.raises(FileNotFoundError, match="other.json"):
        load_datalist(tmp_path, datalist="other.json")


def test_list_images(tmp_path):
    for name in ("b.png", "a.nii.gz", "notes.txt", "c.JPG"):
        (tmp_path / name).touch()
    assert [p["image"].split("/")[-1] for p in list_images(tmp_path)] == ["a.nii.gz", "b.png", "c.JPG"]
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match="holds no image"):
        list_images(empty)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        list_images(tmp_path / "nope")


def test_latest_checkpoint(tmp_path):
    with pytest.raises(FileNotFoundError, match="no 'checkpoint"):
        latest_checkpoint(tmp_path)
    for epoch in (2, 10, 9):
        (tmp_path / f"checkpoint_epoch={epoch}.pt").touch()
    (tmp_path / "model.pt").touch()
    assert latest_checkpoint(tmp_path).endswith("checkpoint_epoch=10.pt")


def test_attach_handlers_skips_none():
    calls = []

    class Handler:
        def attach(self, engine):
            engine.add_event_handler(Events.STARTED, lambda _: calls.append("started"))

    engine = Engine(lambda e, b: None)
    assert attach_handlers(engine, None, Handler(), None) is engine
    engine.run([0], max_epochs=1)
    assert calls == ["started"]


@pytest.mark.parametrize(
    "channels, wanted, expected",
    [(1, 1, 1), (3, 1, 1), (4, 1, 1), (1, 3, 3), (3, 3, 3), (4, 3, 3)],
)
def test_match_channels_shapes(channels, wanted, expected):
    image = torch.rand(channels, 5, 6) * 255
    assert match_channels(image, wanted).shape == (expected, 5, 6)


def test_match_channels_values():
    rgb = torch.stack([torch.full((2, 2), 100.0), torch.full((2, 2), 200.0), torch.full((2, 2), 50.0)])
    grey = match_channels(rgb, 1)
    torch.testing.assert_close(grey, torch.full((1, 2, 2), 0.299 * 100 + 0.587 * 200 + 0.114 * 50))
    torch.testing.assert_close(match_channels(grey, 3)[2], grey[0])
    assert MatchChanneld("image", 3)({"image": torch.zeros(1, 4, 4)})["image"].shape == (3, 4, 4)
    with pytest.raises(ValueError, match="2 channels"):
        match_channels(torch.zeros(2, 3, 3), 1)


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
    assert csv_path.read_text().splitlines()[0] == "image,mask_nii,mask_png"
    with open(csv_path) as f:
        rows = list(csv.DictReader(f))
    assert rows == [{"image": str(tmp_path / "case.jpg"), "mask_nii": written["mask_nii"], "mask_png": written["mask_png"]}]
    assert not list((tmp_path / "out").glob("*.tmp"))
    umask = os.umask(0o022)
    os.umask(umask)
    assert csv_path.stat().st_mode & 0o777 == 0o666 & ~umask  # readable by the team, like the masks


@pytest.mark.parametrize("ext, column", [(".nii.gz", "mask_nii"), (".png", "mask_png"), (".NRRD", "mask_nrrd")])
def test_mask_column(ext, column):
    assert mask_column(ext) == column
