"""ScreenedImages: a bad file is named with its reason and set apart, the good ones come through; the run then fails."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from PIL import Image

from nlcen_monai.data import inference_transforms
from nlcen_monai.inference import ImagesFailedError, ScreenedImages, failure_reason
from tests.data.radiograph_files import write_truncated_jpeg


def test_bad_files_are_named_and_the_good_ones_kept(tmp_path, caplog):
    grey = (np.random.default_rng(0).random((40, 50)) * 255).astype(np.uint8)
    Image.fromarray(grey).save(tmp_path / "a_good.png")
    broken = write_truncated_jpeg(grey, tmp_path / "b_broken.jpg")
    Image.fromarray(np.full((40, 50), 9, np.uint16)).save(tmp_path / "c_blank.png")
    datalist = [{"image": str(tmp_path / n)} for n in ("a_good.png", "b_broken.jpg", "c_blank.png")]
    with caplog.at_level(logging.ERROR, logger="nlcen_monai.inference"):
        screened = ScreenedImages(datalist, inference_transforms(spatial_size=32))
    assert [item["image"].shape for item in screened.items] == [(1, 32, 32)]
    assert [row["image"] for row in screened.failures] == [str(broken), str(tmp_path / "c_blank.png")]
    assert screened.failures[0]["status"].startswith("failed: OSError: image file is truncated")
    assert screened.failures[1]["status"] == "failed: constant image (every pixel is 9)."
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2 and lines[0].startswith(f"{broken}: OSError")  # one line per bad file, naming it
    with pytest.raises(ImagesFailedError, match=r"2 of 3 images could not be segmented") as caught:
        screened.raise_if_failed()
    assert caught.value.code != 0 and "b_broken.jpg (OSError" in str(caught.value)


def test_nothing_failed_is_silent(tmp_path):
    Image.fromarray((np.random.default_rng(1).random((20, 20)) * 255).astype(np.uint8)).save(tmp_path / "x.png")
    screened = ScreenedImages([{"image": str(tmp_path / "x.png")}], inference_transforms(spatial_size=16))
    assert len(screened.items) == 1 and not screened.failures
    screened.raise_if_failed()


def test_failure_reason_is_the_innermost_cause_without_the_file_name():
    try:
        try:
            raise ValueError("scan.png: constant image.")
        except ValueError as inner:
            raise RuntimeError("applying transform <LoadImaged>") from inner
    except RuntimeError as outer:
        assert failure_reason(outer, "scan.png") == "constant image."
        assert failure_reason(outer) == "ValueError: scan.png: constant image."
