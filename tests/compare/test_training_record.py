"""Tests for TrainingRecord: what a checkpoint folder holds for the same settings (finished, stopped, none)."""

from __future__ import annotations

import json
import os
from datetime import datetime

import pytest

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
    record.finish(12.34)
    assert record.state() == "finished"
    stored = json.loads(record.path.read_text())
    assert (stored["finished"], stored["seconds"], stored["from_epoch"]) == (True, 12.3, 0)
    assert [(run["from_epoch"], run["to_epoch"], run["seconds"]) for run in stored["runs"]] == [(0, 1, 12.3)]
    assert stored["settings"]["overrides"]["features"] == [4, 8]  # as JSON reads it back

    assert TrainingRecord(tmp_path, FILES, {"epochs": 3, "features": (4, 8)}).state() == "none"
    assert TrainingRecord(tmp_path, FILES[:1], {"epochs": 2, "features": (4, 8)}).state() == "none"
    (tmp_path / "model.pt").unlink()
    assert record.state() == "none"  # finished, but its model is gone: nothing to keep


def _checkpoint(folder, epoch, seconds_after):
    """Write ``checkpoint_epoch=<epoch>.pt`` as if saved ``seconds_after`` the last recorded run started."""
    started = json.loads((folder / "training.json").read_text())["runs"][-1]["started"]
    path = folder / f"checkpoint_epoch={epoch}.pt"
    path.touch()
    saved = datetime.fromisoformat(started).timestamp() + seconds_after
    os.utime(path, (saved, saved))


def test_resumed_training_sums_its_runs(tmp_path):
    record = TrainingRecord(tmp_path, FILES, {"epochs": 4})
    with pytest.raises(ValueError):
        record.resume()  # nothing to resume
    record.start()
    _checkpoint(tmp_path, 1, 20)
    _checkpoint(tmp_path, 2, 30)  # then the run was killed
    assert record.resume() == (2, tmp_path / "checkpoint_epoch=2.pt")
    record.resume()  # the second run was killed before its first checkpoint: it counts 0
    _checkpoint(tmp_path, 3, 15)
    (tmp_path / "model.pt").touch()
    assert record.finish(25.04) == 55.0  # the third run went on to the end; all three
    stored = json.loads(record.path.read_text())
    runs = [(run["from_epoch"], run["to_epoch"], run["seconds"]) for run in stored["runs"]]
    assert runs == [(0, 2, 30.0), (2, 2, 0.0), (2, 3, 25.0)]
    assert (stored["finished"], stored["seconds"], stored["from_epoch"]) == (True, 55.0, 2)
    assert [p.name for p in sorted(tmp_path.glob("checkpoint_*.pt"))] == ["checkpoint_epoch=3.pt"]


def test_record_without_runs_leaves_the_earlier_time_unknown(tmp_path):
    record = TrainingRecord(tmp_path, FILES, {"epochs": 4})
    record.start()
    older = json.loads(record.path.read_text())
    del older["runs"]  # as written before runs were recorded
    record.path.write_text(json.dumps(older))
    (tmp_path / "checkpoint_epoch=3.pt").touch()
    assert record.resume()[0] == 3
    (tmp_path / "checkpoint_epoch=4.pt").touch()
    (tmp_path / "model.pt").touch()
    assert record.finish(10.0) is None
    stored = json.loads(record.path.read_text())
    runs = [(run["from_epoch"], run["to_epoch"], run["seconds"]) for run in stored["runs"]]
    assert runs == [(0, 3, None), (3, 4, 10.0)]
    assert stored["seconds"] is None and record.state() == "finished"


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


def _finished(ckpt_dir, overrides):
    record = TrainingRecord(ckpt_dir, FILES, overrides)
    record.start()
    (ckpt_dir / "model.pt").touch()
    record.finish(1.0)
    return record


def test_output_folders_are_not_settings(tmp_path):
    models = tmp_path / "unet" / "models"
    models.mkdir(parents=True)
    _finished(models, {"epochs": 2, "ckpt_dir": "runs/unet/models", "output_dir": "runs/unet/eval"})
    elsewhere = TrainingRecord(models, FILES, {"epochs": 2, "ckpt_dir": str(models), "output_dir": "other/eval"})
    assert (elsewhere.state(), elsewhere.changes()) == ("finished", [])


def test_moved_run_folder_with_its_data_resumes(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    (first / "data").mkdir(parents=True)
    (first / "unet" / "models").mkdir(parents=True)
    record = _finished(first / "unet" / "models", {"epochs": 2, "dataset_dir": str(first / "data")})
    assert json.loads(record.path.read_text())["locations"] == {"dataset_dir": "../../data"}
    first.rename(second)
    moved = TrainingRecord(second / "unet" / "models", FILES, {"epochs": 2, "dataset_dir": str(second / "data")})
    assert (moved.state(), moved.changes()) == ("finished", [])
    (tmp_path / "other").mkdir()  # another dataset: not the same place, absolute or relative
    other = TrainingRecord(second / "unet" / "models", FILES, {"epochs": 2, "dataset_dir": str(tmp_path / "other")})
    assert other.state() == "none"
    assert other.changes() == [f"override dataset_dir: {first / 'data'} -> {tmp_path / 'other'}"]


def test_data_reached_through_a_link_is_the_same(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "data")
    models = tmp_path / "runs" / "unet" / "models"
    models.mkdir(parents=True)
    _finished(models, {"dataset_dir": str(tmp_path / "data"), "init_checkpoint": "a/model.pt"})
    linked = TrainingRecord(models, FILES, {"dataset_dir": str(tmp_path / "link"), "init_checkpoint": "a/model.pt"})
    assert linked.state() == "finished"
    other_init = TrainingRecord(models, FILES, {"dataset_dir": str(tmp_path / "data"), "init_checkpoint": "b/model.pt"})
    assert other_init.changes() == ["override init_checkpoint: a/model.pt -> b/model.pt"]
