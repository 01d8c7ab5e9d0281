"""Tests for interval_checkpoints and latest_checkpoint: the newest interval checkpoint to resume from, or an error naming the folder."""

from __future__ import annotations

import pytest

from nlcen_monai.workflows import interval_checkpoints, latest_checkpoint


def test_latest_checkpoint(tmp_path):
    with pytest.raises(FileNotFoundError, match="no 'checkpoint"):
        latest_checkpoint(tmp_path)
    for epoch in (2, 10, 9):
        (tmp_path / f"checkpoint_epoch={epoch}.pt").touch()
    (tmp_path / "model.pt").touch()
    assert latest_checkpoint(tmp_path).endswith("checkpoint_epoch=10.pt")


def test_interval_checkpoints_by_epoch(tmp_path):
    assert interval_checkpoints(tmp_path / "missing") == []
    for name in ("checkpoint_epoch=10.pt", "checkpoint_epoch=2.pt", "model.pt", "checkpoint.pt"):
        (tmp_path / name).touch()
    assert [(n, p.name) for n, p in interval_checkpoints(tmp_path)] == [
        (2, "checkpoint_epoch=2.pt"),
        (10, "checkpoint_epoch=10.pt"),
    ]
