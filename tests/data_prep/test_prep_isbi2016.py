"""Tests for data_prep/isbi2016.py: JPEG/PNG pairs in the challenge layout, real-data naming and shapes, bad inputs, the real ISIC subset."""

from __future__ import annotations

import contextlib
import io
import json
import sys
import tempfile
import time
import unittest
from pathlib import Path

import numpy as np
from monai.data import load_decathlon_datalist
from parameterized import parameterized
from PIL import Image
from scipy import ndimage

from nlcen_monai.data import isbi2016_transforms

from tests.data_prep.prep_utils import (
    ISIC_VAL150,
    TempDirTestCase,
    leftovers,
    load_script,
    make_isbi_layout,
    problem_lines,
    run_script,
)

isbi = load_script("isbi2016")

TRAINING_DATA = "ISBI2016_ISIC_Part1_Training_Data"
TRAINING_TRUTH = "ISBI2016_ISIC_Part1_Training_GroundTruth"

# (description, (width, height)): 4:3 like the real ISIC files, its portrait, and square
SHAPES = [("landscape_4_3", (96, 72)), ("portrait_3_4", (72, 96)), ("square", (64, 64))]


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


class TestISBI2016RealFiles(TempDirTestCase):
    """What real ISIC downloads look like: 4:3 and other shapes, names in any case, grey JPEGs, misnamed folders."""

    def setUp(self):
        super().setUp()
        self.root = make_isbi_layout(self.root / "isbi")

    def _run(self, *extra: str) -> tuple[int, str, list[str]]:
        code, stdout, stderr = run_script("isbi2016", ["--isbi-dir", str(self.root), "--out", str(self.out), *extra])
        return code, stdout, problem_lines(stderr)

    @parameterized.expand(SHAPES)
    def test_lesion_stays_on_its_mask(self, _, size):
        """A dark off-centre block stays on its mask through the square resize (no axis swap, no shift)."""
        width, height = size
        mask = np.zeros((height, width), np.uint8)
        mask[height // 8 : height // 2, width // 10 : (3 * width) // 4] = 255
        image = np.where(mask[..., None] > 0, [70, 40, 30], [200, 160, 140]).astype(np.uint8)
        Image.fromarray(image).save(self.root / TRAINING_DATA / "ISIC_0000001.jpg", quality=90)
        Image.fromarray(mask).save(self.root / TRAINING_TRUTH / "ISIC_0000001_Segmentation.png")
        code, _, problems = self._run("--size", "32")
        self.assertEqual((code, problems), (0, []))
        written_image = np.asarray(Image.open(self.out / "images" / "ISIC_0000001.png")).mean(axis=-1)
        written_mask = np.asarray(Image.open(self.out / "masks" / "ISIC_0000001.png")).astype(bool)
        dark = written_image < 135
        self.assertGreater((dark & written_mask).sum() / (dark | written_mask).sum(), 0.9)

    def test_names_in_any_case(self):
        """``.JPG``, ``.jpeg``, ``_segmentation.png`` and a lower-case folder name are all found."""
        data, truth = self.root / TRAINING_DATA, self.root / TRAINING_TRUTH
        (data / "ISIC_0000000.jpg").rename(data / "ISIC_0000000.JPG")
        (data / "ISIC_0000001.jpg").rename(data / "ISIC_0000001.jpeg")
        (truth / "ISIC_0000002_Segmentation.png").rename(truth / "ISIC_0000002_segmentation.PNG")
        test_data = self.root / "ISBI2016_ISIC_Part1_Test_Data"
        test_data.rename(test_data.with_name(test_data.name.lower()))
        code, _, problems = self._run("--size", "16")
        self.assertEqual((code, problems), (0, []))
        content = json.loads((self.out / "datalist.json").read_text())
        self.assertEqual((content["numTraining"], content["numTest"]), (3, 2))

    def test_grey_jpeg_made_rgb_and_named(self):
        path = self.root / TRAINING_DATA / "ISIC_0000001.jpg"
        Image.open(path).convert("L").save(path)
        code, stdout, problems = self._run("--size", "16")
        self.assertEqual((code, problems), (0, []))
        self.assertEqual(np.asarray(Image.open(self.out / "images" / "ISIC_0000001.png")).shape, (16, 16, 3))
        self.assertIn("channels: converted 1 image(s) to RGB (ISBI images are RGB):", stdout)
        self.assertIn(f"  {path} (grey -> RGB)", stdout.splitlines())

    def test_misnamed_folder_named_once(self):
        """A misnamed ``..._Training_Data`` is one problem naming it, not one "mask without an image" per mask."""
        (self.root / TRAINING_DATA).rename(self.root / "ISBI2016_ISIC_Part1_Training_Input")
        code, _, problems = self._run("--size", "16")
        self.assertEqual(code, 1)
        self.assertEqual(len(problems), 1, problems)
        self.assertTrue(problems[0].startswith(f"{self.root / TRAINING_DATA}: folder not found"), problems[0])
        self.assertIn(f"training files in {self.root / TRAINING_TRUTH} were not converted", problems[0])
        self.assertIn("expected the folders ISBI2016_ISIC_Part1_Training_Data, ISBI2016_ISIC_Part1_Training_GroundTruth", problems[0])
        self.assertIn("found ISBI2016_ISIC_Part1_Test_Data, ISBI2016_ISIC_Part1_Test_GroundTruth, ISBI2016_ISIC_Part1_Training_GroundTruth, ISBI2016_ISIC_Part1_Training_Input.", problems[0])
        content = json.loads((self.out / "datalist.json").read_text())
        self.assertEqual((content["numTraining"], content["numTest"]), (0, 2))

    def test_no_isbi_folder(self):
        for sub in sorted(self.root.iterdir()):
            sub.rename(self.root / ("x_" + sub.name))
        code, _, problems = self._run()
        self.assertEqual(code, 1)
        self.assertTrue(problems[0].startswith(f"{self.root}: no ISBI 2016 folder found; expected the folders"), problems)
        self.assertIn("found x_ISBI2016_ISIC_Part1_Test_Data,", problems[0])

    def test_only_one_split(self):
        """A split whose two folders are both absent is skipped: the training half alone converts cleanly."""
        for kind in ("Data", "GroundTruth"):
            for p in (self.root / f"ISBI2016_ISIC_Part1_Test_{kind}").iterdir():
                p.unlink()
            (self.root / f"ISBI2016_ISIC_Part1_Test_{kind}").rmdir()
        code, _, problems = self._run("--size", "16")
        self.assertEqual((code, problems), (0, []))


@unittest.skipUnless((ISIC_VAL150 / TRAINING_DATA).is_dir(), f"real ISIC subset not found at {ISIC_VAL150}")
class TestISBI2016RealData(unittest.TestCase):
    """The real ISIC 2017 validation subset (150 RGB JPEGs of 1024 x 768, 100/50 split), converted at 64 x 64."""

    def test_convert_real_subset(self):
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            code, stdout, stderr = run_script("isbi2016", ["--isbi-dir", str(ISIC_VAL150), "--out", tmp, "--size", "64"])
            seconds = time.perf_counter() - start
            self.assertEqual(code, 0, stderr)
            self.assertIn("wrote 100 training, 50 test", stdout)
            content = json.loads((Path(tmp) / "datalist.json").read_text())
            self.assertEqual((content["numTraining"], content["numTest"]), (100, 50))
            self.assertEqual(len(list((Path(tmp) / "images").iterdir())), 150)
            fractions, lighter = {}, []
            for split in ("training", "test"):
                for entry in content[split]:
                    image = np.asarray(Image.open(Path(tmp) / entry["image"]))
                    mask = np.asarray(Image.open(Path(tmp) / entry["label"]))
                    self.assertEqual((image.shape, image.dtype, mask.shape), ((64, 64, 3), np.uint8, (64, 64)))
                    self.assertTrue(set(np.unique(mask).tolist()) <= {0, 1}, entry["label"])
                    fractions[entry["label"]] = float(mask.mean())
                    grey, lesion = image.mean(axis=-1), mask.astype(bool)
                    ring = ndimage.binary_dilation(lesion, iterations=4) & ~lesion
                    if not grey[lesion].mean() < grey[ring].mean():
                        lighter.append(entry["label"])
            # masks lie on their lesions: a lesion is darker than the skin just around it, on 149 of the 150
            # (ISIC_0014037 is a pale lesion); a swapped axis or a shift would break this on most of them
            self.assertLessEqual(len(lighter), 5, lighter)
            # every mask has lesion and skin; the real lesions range from 0.5 % to 96 % of the image (5 of
            # the 150 fall outside 1 %..90 %: 3 tiny lesions, 2 that fill the frame), so 1 %..90 % holds for
            # all but a few, and 0.3 %..98 % for every one
            outside = sorted(k for k, f in fractions.items() if not 0.01 <= f <= 0.90)
            self.assertLessEqual(len(outside), 5, outside)
            self.assertTrue(all(0.003 <= f <= 0.98 for f in fractions.values()), min(fractions.values()))
            print(f"real ISIC subset converted at 64 x 64 in {seconds:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    unittest.main()
