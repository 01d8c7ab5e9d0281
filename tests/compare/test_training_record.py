"""Tests for TrainingRecord: what a checkpoint folder holds for the same settings (finished, stopped, none)."""

from __future__ import annotations

import json

from nlcen_monai.compare.training_record import TrainingRecord

FILES = ["bundles/nlcen_jsrt/configs/train.json", "configs/networks/unet.json"]


def test_states(tmp_path):
    record = TrainingRecord(tmp_path, FILES, {"epochs": 2, "features": (4, 8)})
    assert record.state() == "none"  # no record
    (tmp_path / "checkpoint_epoch=9.pt").touch()  # another training's: dropped at the start
    (tmp_path / "model.pt").touch()
    record.start()
    assert not (tmp_path / "checkpoint_epoch=9.pt").exists() and not (tmp_path / "model.pt").exists()
    assert record.state() == "none"  # started, but stopped before its first checkpoint
    (tmp_path / "checkpoint_epoch=1.pt").touch()
    assert record.state() == "stopped"
    (tmp_path / "model.pt").touch()
    record.finish(12.34, from_epoch=1)
    assert record.state() == "finished"
    stored = json.loads(record.path.read_text())
    assert (stored["finished"], stored["seconds"], stored["from_epoch"]) == (True, 12.3, 1)
    assert stored["settings"]["overrides"]["features"] == [4, 8]  # as JSON reads it back

    assert TrainingRecord(tmp_path, FILES, {"epochs": 3, "features": (4, 8)}).state() == "none"
    assert TrainingRecord(tmp_path, FILES[:1], {"epochs": 2, "features": (4, 8)}).state() == "none"
    (tmp_path / "model.pt").unlink()
    assert record.state() == "none"  # finished, but its model is gone: nothing to keep


def test_changes_name_what_differs(tmp_path):
    record = TrainingRecord(tmp_path, FILES, {"epochs": 2, "dataset_dir": "/a/data"})
    assert record.changes() == []  # no record yet
    record.start()
    assert record.changes() == []
    moved = TrainingRecord(tmp_path, FILES[:1], {"epochs": 2, "dataset_dir": "/b/data", "seed": 1})
    assert moved.changes() == [
        f"config_files: {FILES} -> {FILES[:1]}",
        "override dataset_dir: /a/data -> /b/data",
        "override seed: (unset) -> 1",
    ]
    assert moved.state() == "none"
