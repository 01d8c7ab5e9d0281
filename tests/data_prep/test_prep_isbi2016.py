"""Tests for data_prep/isbi2016.py: JPEG/PNG pairs in the challenge layout, and bad inputs."""

from __future__ import annotations

import contextlib
import io
import json
import sys
import tempfile
import unittest
from pathlib import Path

import numpy as np
from monai.data import load_decathlon_datalist
from parameterized import parameterized
from PIL import Image

from nlcen_monai.data import isbi2016_transforms, lesion_phantom

sys.path.insert(0, str(Path(__file__).resolve().parent))  # pytest runs with --import-mode=importlib
from prep_utils import leftovers, load_script  # noqa: E402

isbi = load_script("isbi2016")

# split folder -> ids (sizes differ per image, as in the challenge)
LAYOUT = {"Training": ["0000000", "0000001", "0000002"], "Test": ["0000003", "0000004"]}


def make_isbi_layout(root: Path) -> Path:
    for k, (folder, ids) in enumerate(LAYOUT.items()):
        data = root / f"ISBI2016_ISIC_Part1_{folder}_Data"
        truth = root / f"ISBI2016_ISIC_Part1_{folder}_GroundTruth"
        data.mkdir(parents=True)
        truth.mkdir(parents=True)
        for i, case in enumerate(ids):
            image, mask = lesion_phantom(64, 10 * k + i)
            image = np.asarray(Image.fromarray(image).resize((80, 60)))  # non-square, like the real set
            mask = np.asarray(Image.fromarray(mask * 255).resize((80, 60), Image.Resampling.NEAREST))
            Image.fromarray(image).save(data / f"ISIC_{case}.jpg", quality=95)
            Image.fromarray(mask).save(truth / f"ISIC_{case}_Segmentation.png")
    return root


def _missing_mask(root: Path) -> Path:
    (root / "ISBI2016_ISIC_Part1_Training_GroundTruth" / "ISIC_0000001_Segmentation.png").unlink()
    return root / "ISBI2016_ISIC_Part1_Training_Data" / "ISIC_0000001.jpg"


def _extra_mask(root: Path) -> Path:
    path = root / "ISBI2016_ISIC_Part1_Test_GroundTruth" / "ISIC_0000999_Segmentation.png"
    Image.fromarray(np.zeros((60, 80), np.uint8)).save(path)
    return path


def _size_mismatch(root: Path) -> Path:
    path = root / "ISBI2016_ISIC_Part1_Training_GroundTruth" / "ISIC_0000001_Segmentation.png"
    Image.fromarray(np.zeros((50, 80), np.uint8)).save(path)
    return path


def _non_binary(root: Path) -> Path:
    path = root / "ISBI2016_ISIC_Part1_Training_GroundTruth" / "ISIC_0000001_Segmentation.png"
    Image.fromarray(np.full((60, 80), 128, np.uint8)).save(path)
    return path


def _unreadable(root: Path) -> Path:
    path = root / "ISBI2016_ISIC_Part1_Training_Data" / "ISIC_0000001.jpg"
    path.write_bytes(path.read_bytes()[:200])
    return path


BAD_CASES = [
    ("missing_mask", _missing_mask, "no mask", 4),
    ("extra_mask", _extra_mask, "mask without an image", 5),
    ("size_mismatch", _size_mismatch, "does not match", 4),
    ("non_binary", _non_binary, "not binary", 4),
    ("unreadable", _unreadable, "unreadable", 4),
]


class TestISBI2016Converter(unittest.TestCase):
    def test_convert(self):
        with tempfile.TemporaryDirectory() as tmp:
            root, out = make_isbi_layout(Path(tmp) / "isbi"), Path(tmp) / "out"
            self.assertEqual(isbi.main(["--isbi-dir", str(root), "--out", str(out), "--size", "32"]), 0)
            content = json.loads((out / "datalist.json").read_text())
            self.assertEqual((content["numTraining"], content["numTest"]), (3, 2))
            test = load_decathlon_datalist(out / "datalist.json", data_list_key="test")
            self.assertEqual([Path(d["image"]).name for d in test], ["ISIC_0000003.png", "ISIC_0000004.png"])
            for d in test:
                image, mask = np.asarray(Image.open(d["image"])), np.asarray(Image.open(d["label"]))
                self.assertEqual((image.shape, mask.shape), ((32, 32, 3), (32, 32)))
                self.assertTrue(set(np.unique(mask).tolist()) <= {0, 1} and mask.any())
                sample = isbi2016_transforms(train=True, spatial_size=24)(d)
                self.assertEqual(tuple(sample["image"].shape), (3, 24, 24))
            self.assertEqual(leftovers(out), [])

    @parameterized.expand(BAD_CASES)
    def test_bad_input(self, _, breaker, words, num_good):
        with tempfile.TemporaryDirectory() as tmp:
            root, out = make_isbi_layout(Path(tmp) / "isbi"), Path(tmp) / "out"
            bad_file = breaker(root)
            err = io.StringIO()
            with contextlib.redirect_stderr(err):
                code = isbi.main(["--isbi-dir", str(root), "--out", str(out), "--size", "32"])
            self.assertNotEqual(code, 0)
            lines = [line for line in err.getvalue().splitlines() if str(bad_file) in line]
            self.assertTrue(any(words in line for line in lines), err.getvalue())
            content = json.loads((out / "datalist.json").read_text())
            self.assertEqual(content["numTraining"] + content["numTest"], num_good)

    def test_empty_folder(self):
        with tempfile.TemporaryDirectory() as tmp:
            err = io.StringIO()
            with contextlib.redirect_stderr(err):
                self.assertNotEqual(isbi.main(["--isbi-dir", tmp, "--out", str(Path(tmp) / "out")]), 0)
            self.assertIn("no cases found", err.getvalue())


if __name__ == "__main__":
    unittest.main()
