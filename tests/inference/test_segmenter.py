"""Segmenter: the bundle's model from Python, checksum verified, the same mask from a file and from its array."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from PIL import Image

from nlcen_monai.data import chest_phantom
from nlcen_monai.inference import Segmenter
from tests.bundles.bundle_utils import REPO

BUNDLE = REPO / "bundles" / "nlcen_jsrt"


@pytest.fixture(scope="module")
def segmenter():
    return Segmenter.from_bundle(BUNDLE, device="cpu")


def test_file_and_its_array_give_the_same_mask(segmenter, tmp_path):
    image, _ = chest_phantom(size=160, rng=3)
    image = image[:, 10:150].astype(np.float64)  # not square: a transposed array would show
    image = np.rint((image - image.min()) * 255 / (image.max() - image.min())).astype(np.uint8)  # spanning 0..255
    Image.fromarray(image).save(tmp_path / "x.png")
    from_file = segmenter.segment(tmp_path / "x.png")
    from_array = segmenter.segment(np.asarray(Image.open(tmp_path / "x.png")))
    assert from_file.mask.shape == image.shape and from_file.mask.dtype == np.uint8
    np.testing.assert_array_equal(from_file.mask, from_array.mask)
    assert image.min() == 0 and image.max() == 255  # so that its 16-bit copy is stretched back to the same levels
    np.testing.assert_array_equal(segmenter.segment(image.astype(np.uint16) * 257).mask, from_file.mask)
    assert 0.05 < from_file.mask.mean() < 0.8  # the phantom's lungs are found
    assert set(from_file.quality) == {"quality", "lung_fraction", "components", "left_right_balance", "uncertain_fraction"}
    transposed = segmenter.segment(np.ascontiguousarray(image.T)).mask.T  # the mistake the layout handling prevents
    assert (transposed != from_file.mask).mean() > 0.01


def test_tampered_model_is_refused(tmp_path):
    copy = tmp_path / "nlcen_jsrt"
    shutil.copytree(BUNDLE / "configs", copy / "configs")
    shutil.copytree(BUNDLE / "models", copy / "models")
    data = bytearray((copy / "models" / "model.pt").read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte
    (copy / "models" / "model.pt").write_bytes(bytes(data))
    with pytest.raises(ValueError, match="does not match its checksum"):
        Segmenter.from_bundle(copy)
    with pytest.raises(ValueError, match="does not match its checksum"):
        Segmenter.from_bundle(BUNDLE, ckpt_dir=copy / "models")
    (copy / "models" / "model.sha256").unlink()
    with pytest.raises(FileNotFoundError):  # the released model without its checksum file
        Segmenter.from_bundle(copy)
    with pytest.raises(FileNotFoundError, match="nowhere"):
        Segmenter.from_bundle(BUNDLE, ckpt_dir=tmp_path / "nowhere")
