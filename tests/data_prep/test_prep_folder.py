"""Tests for data_prep/folder.py: pairing by name, formats (PNG, BMP, NIfTI), the seeded split, bad inputs."""

from __future__ import annotations

import contextlib
import io
import json
import sys
import tempfile
import unittest
from pathlib import Path

import nibabel as nib
import numpy as np
from parameterized import parameterized
from PIL import Image

from nlcen_monai.data import chest_phantom

sys.path.insert(0, str(Path(__file__).resolve().parent))  # pytest runs with --import-mode=importlib
from prep_utils import leftovers, load_script  # noqa: E402

folder = load_script("folder")


def make_pairs(image_dir: Path, mask_dir: Path | None, suffix: str, n: int, ext: str = ".png") -> None:
    image_dir.mkdir(parents=True, exist_ok=True)
    (mask_dir or image_dir).mkdir(parents=True, exist_ok=True)
    for i in range(n):
        grey, mask = chest_phantom(32, i)
        Image.fromarray(grey).save(image_dir / f"case{i}{ext}")
        Image.fromarray(mask * 255).save((mask_dir or image_dir) / f"case{i}{suffix}.png")


def run(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = folder.main(argv)
    return code, err.getvalue()


class TestFolderConverter(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.root = Path(self._tmp.name)
        self.out = self.root / "out"

    def tearDown(self):
        self._tmp.cleanup()

    @parameterized.expand([("same_folder", False, "_mask", ".png"), ("separate", True, "", ".bmp"), ("suffix", True, "_seg", ".png")])
    def test_pairing(self, _, separate, suffix, ext):
        make_pairs(self.root / "img", self.root / "msk" if separate else None, suffix, 5, ext)
        argv = ["--image-dir", str(self.root / "img"), "--out", str(self.out), "--size", "16"]
        if separate:
            argv += ["--mask-dir", str(self.root / "msk")]
        if suffix != ("" if separate else "_mask"):
            argv += ["--mask-suffix", suffix]
        code, err = run(argv)
        self.assertEqual(code, 0, err)
        content = json.loads((self.out / "datalist.json").read_text())
        self.assertEqual((content["numTraining"], content["numTest"]), (4, 1))
        mask = np.asarray(Image.open(self.out / content["training"][0]["label"]))
        self.assertEqual((mask.shape, set(np.unique(mask).tolist())), ((16, 16), {0, 1}))
        self.assertEqual(leftovers(self.out), [])

    def test_nifti_16bit(self):
        image_dir = self.root / "img"
        image_dir.mkdir()
        for i in range(3):
            grey, mask = chest_phantom(32, i)
            nib.save(nib.Nifti1Image(grey.astype(np.int16) * 10 + 1000, np.eye(4)), image_dir / f"s{i}.nii.gz")
            nib.save(nib.Nifti1Image(mask.astype(np.uint8), np.eye(4)), image_dir / f"s{i}_mask.nii.gz")
        code, err = run(["--image-dir", str(image_dir), "--out", str(self.out), "--size", "original", "--test-fraction", "0"])
        self.assertEqual(code, 0, err)
        image = np.asarray(Image.open(self.out / "images" / "s0.png"))
        self.assertEqual((image.dtype, image.shape, int(image.min()), int(image.max())), (np.uint8, (32, 32), 0, 255))

    def test_dicom_through_itk(self):
        """A DICOM image (read by ITK) pairs with a PNG mask on the same grid and orientation."""
        import itk

        image_dir = self.root / "img"
        image_dir.mkdir()
        _, mask = chest_phantom(32, 0)
        itk.imwrite(itk.image_from_array(mask.astype(np.int16) * 1000 + 100), str(image_dir / "d0.dcm"))
        Image.fromarray(mask).save(image_dir / "d0_mask.png")
        code, err = run(["--image-dir", str(image_dir), "--out", str(self.out), "--size", "original", "--test-fraction", "0"])
        self.assertEqual(code, 0, err)
        image = np.asarray(Image.open(self.out / "images" / "d0.png"))
        np.testing.assert_array_equal(image > 128, mask.astype(bool))

    def test_seeded_split(self):
        make_pairs(self.root / "img", None, "_mask", 10)
        splits = []
        for seed in (0, 0, 1):
            code, _ = run(["--image-dir", str(self.root / "img"), "--out", str(self.out), "--seed", str(seed), "--test-fraction", "0.3"])
            self.assertEqual(code, 0)
            splits.append([e["image"] for e in json.loads((self.out / "datalist.json").read_text())["test"]])
        self.assertEqual(len(splits[0]), 3)
        self.assertEqual(splits[0], splits[1])
        self.assertNotEqual(splits[0], splits[2])

    def test_channels(self):
        make_pairs(self.root / "img", None, "_mask", 2)
        code, _ = run(["--image-dir", str(self.root / "img"), "--out", str(self.out), "--channels", "3", "--size", "16"])
        self.assertEqual(code, 0)
        self.assertEqual(np.asarray(Image.open(self.out / "images" / "case0.png")).shape, (16, 16, 3))

    def _bad(self, name: str) -> Path:
        make_pairs(self.root / "img", None, "_mask", 4)
        img = self.root / "img"
        if name == "missing":
            (img / "case1_mask.png").unlink()
            return img / "case1.png"
        if name == "extra":
            Image.fromarray(np.zeros((32, 32), np.uint8)).save(img / "case9_mask.png")
            return img / "case9_mask.png"
        if name == "mismatch":
            Image.fromarray(np.zeros((30, 32), np.uint8)).save(img / "case1_mask.png")
            return img / "case1_mask.png"
        if name == "non_binary":
            Image.fromarray(np.full((32, 32), 7, np.uint8)).save(img / "case1_mask.png")
            return img / "case1_mask.png"
        if name == "nan":
            nib.save(nib.Nifti1Image(np.full((32, 32), np.nan, np.float32), np.eye(4)), img / "case7.nii")
            Image.fromarray(np.zeros((32, 32), np.uint8)).save(img / "case7_mask.png")
            return img / "case7.nii"
        (img / "case1.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")  # unreadable
        return img / "case1.png"

    @parameterized.expand(
        [
            ("missing", "no mask"),
            ("extra", "mask without an image"),
            ("mismatch", "does not match"),
            ("non_binary", "not binary"),
            ("nan", "NaN"),
            ("unreadable", "unreadable"),
        ]
    )
    def test_bad_input(self, name, words):
        bad_file = self._bad(name)
        code, err = run(["--image-dir", str(self.root / "img"), "--out", str(self.out), "--size", "16"])
        self.assertNotEqual(code, 0)
        self.assertTrue(any(words in line and str(bad_file) in line for line in err.splitlines()), err)
        self.assertTrue((self.out / "datalist.json").is_file())  # the good cases are still written

    def test_empty_folder(self):
        (self.root / "img").mkdir()
        code, err = run(["--image-dir", str(self.root / "img"), "--out", str(self.out)])
        self.assertNotEqual(code, 0)
        self.assertIn("no cases found", err)
        self.assertFalse(self.out.exists() and any(self.out.iterdir()))


if __name__ == "__main__":
    unittest.main()
