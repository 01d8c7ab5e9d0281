"""Tests for latest_checkpoint: the newest interval checkpoint to resume from, or an error naming the folder."""

from __future__ import annotations

import pytest

from nlcen_monai.workflows import latest_checkpoint


def test_latest_checkpoint(tmp_path):
    with pytest.raises(FileNotFoundError, match="no 'checkpoint"):
        latest_checkpoint(tmp_path)
    for epoch in (2, 10, 9):
        (tmp_path / f"checkpoint_epoch={epoch}.pt").touch()
    (tmp_path / "model.pt").touch()
    assert latest_checkpoint(tmp_path).endswith("checkpoint_epoch=10.pt")
