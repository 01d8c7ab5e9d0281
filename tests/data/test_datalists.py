"""Tests for the bundles' datalists: decathlon lists with absolute paths, folders of new images, clear errors."""

from __future__ import annotations

import json

import pytest

from nlcen_monai.data import list_images, load_datalist


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
