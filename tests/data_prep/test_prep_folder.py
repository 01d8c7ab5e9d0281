"""Tests for data_prep/folder.py: pairing by name, formats (PNG, BMP, NIfTI), the seeded split, channels, soft masks, bad inputs."""

from __future__ import annotations

import contextlib
import io
import json
import unittest
from pathlib import Path

import nibabel as nib
import numpy as np
from parameterized import parameterized
from PIL import Image
from scipy import ndimage

from nlcen_monai.data import chest_phantom, lesion_phantom

from tests.data_prep.prep_utils import (
    TempDirTestCase,
    leftovers,
    load_script,
    make_folder_pairs,
    problem_lines,
    run_script,
)

folder = load_script("folder")


def run(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = folder.main(argv)
    return code, err.getvalue()


class TestFolderConverter(TempDirTestCase):
    @parameterized.expand([("same_folder", False, "_mask", ".png"), ("separate", True, "", ".bmp"), ("suffix", True, "_seg", ".png")])
    def test_pairing(self, _, separate, suffix, ext):
        make_folder_pairs(self.root / "img", self.root / "msk" if separate else None, suffix, 5, ext)
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
        make_folder_pairs(self.root / "img", None, "_mask", 10)
        splits = []
        for seed in (0, 0, 1):
            code, _ = run(["--image-dir", str(self.root / "img"), "--out", str(self.out), "--seed", str(seed), "--test-fraction", "0.3"])
            self.assertEqual(code, 0)
            splits.append([e["image"] for e in json.loads((self.out / "datalist.json").read_text())["test"]])
        self.assertEqual(len(splits[0]), 3)
        self.assertEqual(splits[0], splits[1])
        self.assertNotEqual(splits[0], splits[2])

    @parameterized.expand([("all_test", "1.0", 3, (0, 3)), ("all_training", "0", 3, (3, 0)), ("one_pair_test", "1", 1, (0, 1))])
    def test_whole_folder_in_one_split(self, _, fraction, pairs, counts):
        """--test-fraction 1.0: an external validation set (every pair in "test"); 0: every pair in "training"."""
        from nlcen_monai.data import load_datalist

        make_folder_pairs(self.root / "img", None, "_mask", pairs)
        code, err = run(["--image-dir", str(self.root / "img"), "--out", str(self.out), "--size", "16", "--test-fraction", fraction])
        self.assertEqual(code, 0, err)
        content = json.loads((self.out / "datalist.json").read_text())
        self.assertEqual((content["numTraining"], content["numTest"]), counts)
        full, empty = ("test", "training") if counts[1] else ("training", "test")
        self.assertEqual(len(load_datalist(self.out, full)), pairs)
        with self.assertRaisesRegex(ValueError, f"has no items under '{empty}'"):  # what a training run on it says
            load_datalist(self.out, empty)

    @parameterized.expand([("above_one", "1.5"), ("negative", "-0.1")])
    def test_test_fraction_out_of_range_is_refused(self, _, fraction):
        make_folder_pairs(self.root / "img", None, "_mask", 2)
        code, err = run(["--image-dir", str(self.root / "img"), "--out", str(self.out), "--test-fraction", fraction])
        self.assertNotEqual(code, 0)
        self.assertIn(f"--test-fraction must be in [0, 1], got {float(fraction)}", err)
        self.assertFalse(self.out.exists())

    def test_channels(self):
        make_folder_pairs(self.root / "img", None, "_mask", 2)
        code, _ = run(["--image-dir", str(self.root / "img"), "--out", str(self.out), "--channels", "3", "--size", "16"])
        self.assertEqual(code, 0)
        self.assertEqual(np.asarray(Image.open(self.out / "images" / "case0.png")).shape, (16, 16, 3))

    def _bad(self, name: str) -> Path:
        make_folder_pairs(self.root / "img", None, "_mask", 4)
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



def make_hand_drawn(folder: Path, n: int) -> int:
    """``n`` radiographs ``cxr<i>.png`` with hand-drawn masks ``cxr<i>@.png`` (levels 0..3); return their soft pixels."""
    folder.mkdir(parents=True)
    soft_pixels = 0
    for i in range(n):
        grey, mask = chest_phantom(32, i)
        lungs = mask.astype(bool)
        drawn = lungs.astype(np.uint8) * 3
        drawn[lungs & ~ndimage.binary_erosion(lungs)] = 2  # anti-aliased pen edge
        drawn[ndimage.binary_dilation(lungs) & ~lungs] = 1
        soft_pixels += int(np.count_nonzero((drawn == 1) | (drawn == 2)))
        Image.fromarray(grey).save(folder / f"cxr{i}.png")
        Image.fromarray(drawn).save(folder / f"cxr{i}@.png")
    return soft_pixels


def make_mixed_channels(folder: Path, grey: int, rgb: int) -> list[Path]:
    """``grey`` grey PNGs and ``rgb`` colour JPEGs named ``.png`` (a common mix-up); return the JPEG ones."""
    folder.mkdir(parents=True)
    jpegs = []
    for i in range(grey + rgb):
        image, mask = lesion_phantom(32, i)
        path = folder / f"case{i}.png"
        if i < grey:
            Image.fromarray(image).convert("L").save(path)
        else:
            Image.fromarray(image).save(path, format="JPEG", quality=95)
            jpegs.append(path)
        Image.fromarray(mask * 255).save(folder / f"case{i}_mask.png")
    return jpegs


class TestFolderRealWorld(TempDirTestCase):
    def test_hand_drawn_masks_need_a_threshold(self):
        """The issue's case: every hand-drawn mask is rejected without --mask-threshold, all convert with it."""
        soft_pixels = make_hand_drawn(self.root / "cxr", 4)
        argv = ["--image-dir", str(self.root / "cxr"), "--mask-suffix", "@", "--out", str(self.out), "--size", "16"]
        code, _, stderr = run_script("folder", argv)
        problems = problem_lines(stderr)
        self.assertEqual(code, 1)
        self.assertEqual(sum("mask is not binary" in p and "found 0, 1, 2, 3" in p and "--mask-threshold T" in p for p in problems), 4, problems)
        code, stdout, stderr = run_script("folder", argv + ["--mask-threshold", "0"])
        self.assertEqual((code, stderr), (0, ""))
        self.assertIn(f"--mask-threshold 0: changed {soft_pixels} pixel(s) in 4 of 4 mask(s)", stdout)
        per_file = [line for line in stdout.splitlines() if line.startswith(f"  {self.root / 'cxr'}/cxr") and "@.png: " in line]
        self.assertEqual(len(per_file), 4, stdout)
        self.assertEqual(sum(int(line.split(": ")[1].split(" of ")[0]) for line in per_file), soft_pixels)

    @parameterized.expand([("majority_grey", 3, 1, None, 1), ("majority_rgb", 1, 3, None, 3), ("tie_rgb", 2, 2, None, 3), ("asked_rgb", 3, 1, 3, 3)])
    def test_mixed_channels(self, _, grey, rgb, asked, expected):
        jpegs = make_mixed_channels(self.root / "img", grey, rgb)
        argv = ["--image-dir", str(self.root / "img"), "--out", str(self.out), "--size", "16"]
        code, stdout, stderr = run_script("folder", argv + (["--channels", str(asked)] if asked else []))
        self.assertEqual((code, stderr), (0, ""))
        shapes = {np.asarray(Image.open(p)).shape for p in (self.out / "images").iterdir()}
        self.assertEqual(shapes, {(16, 16) if expected == 1 else (16, 16, 3)})
        odd = [p for p in sorted((self.root / "img").glob("case?.png")) if (p in jpegs) != (expected == 3)]
        name = "grey" if expected == 1 else "RGB"
        self.assertIn(f"channels: converted {len(odd)} image(s) to {name}", stdout)
        for path in odd:
            self.assertIn(f"  {path} ({'RGB -> grey' if expected == 1 else 'grey -> RGB'})", stdout.splitlines())
        if asked is None:
            self.assertIn(f"(the majority of the images: {grey} grey, {rgb} RGB; choose with --channels)", stdout)

    def test_upper_case_suffixes(self):
        make_folder_pairs(self.root / "img", None, "_mask", 3)
        for p in sorted((self.root / "img").iterdir()):
            p.rename(p.with_suffix(".PNG"))
        code, _, stderr = run_script("folder", ["--image-dir", str(self.root / "img"), "--out", str(self.out), "--size", "16"])
        self.assertEqual((code, stderr), (0, ""))
        self.assertEqual(len(list((self.out / "images").iterdir())), 3)


if __name__ == "__main__":
    unittest.main()
