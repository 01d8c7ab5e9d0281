"""Tests for data_prep/jsrt.py: both layouts, the SCR split, polarity, bad inputs, the real PNG copy."""

from __future__ import annotations

import json
import tempfile
import unittest
from pathlib import Path

import numpy as np
from monai.data import load_decathlon_datalist
from monai.transforms import LoadImage, LoadImaged
from parameterized import parameterized
from PIL import Image

from nlcen_monai.data import JSRTImageReader, chest_phantom
from nlcen_monai.prep import jsrt_split

from tests.data_prep.prep_utils import (
    JSRT_PNG,
    TempDirTestCase,
    leftovers,
    load_script,
    make_png_layout,
    make_scr_layout,
)

jsrt = load_script("jsrt")

CASES = {"JPCLN001": 1, "JPCLN002": 2, "JPCLN003": 3, "JPCNN001": 4, "JPCNN002": 5}

SPLIT_CASES = [("JPCLN001", "training"), ("JPCLN154", "test"), ("JPCNN093", "training"), ("jpcnn010", "test")]


def _break_truncated(jsrt_dir: Path, scr: Path) -> Path:
    path = jsrt_dir / "JPCLN003.IMG"
    path.write_bytes(path.read_bytes()[:1000])
    return path


def _break_wrong_size(jsrt_dir: Path, scr: Path) -> Path:
    path = jsrt_dir / "JPCLN003.IMG"
    path.write_bytes(path.read_bytes() + b"\0" * 512)
    return path


def _break_missing_mask(jsrt_dir: Path, scr: Path) -> Path:
    (scr / "fold1" / "masks" / "left lung" / "JPCLN003.gif").unlink()
    return jsrt_dir / "JPCLN003.IMG"


def _break_extra_mask(jsrt_dir: Path, scr: Path) -> Path:
    path = scr / "fold1" / "masks" / "right lung" / "JPCLN099.gif"
    Image.fromarray(np.zeros((32, 32), np.uint8)).save(path)
    return path


def _break_size_mismatch(jsrt_dir: Path, scr: Path) -> Path:
    path = scr / "fold1" / "masks" / "left lung" / "JPCLN003.gif"
    Image.fromarray(np.asarray(Image.open(path))[:, :24]).save(path)
    return path


def _break_non_binary(jsrt_dir: Path, scr: Path) -> Path:
    path = scr / "fold1" / "masks" / "left lung" / "JPCLN003.gif"
    Image.fromarray(np.arange(32 * 32, dtype=np.uint8).reshape(32, 32) % 7 * 30).save(path)
    return path


def _break_unreadable(jsrt_dir: Path, scr: Path) -> Path:
    path = scr / "fold1" / "masks" / "right lung" / "JPCLN003.gif"
    path.write_bytes(b"GIF89a not really")
    return path


def _break_little_endian(jsrt_dir: Path, scr: Path) -> Path:
    path = jsrt_dir / "JPCLN003.IMG"
    np.fromfile(path, dtype=">u2").astype("<u2").tofile(path)
    return path


# (description, breaker, words the message must contain)
BAD_RAW_CASES = [
    ("truncated", _break_truncated, "truncated"),
    ("wrong_size", _break_wrong_size, "wrong size"),
    ("missing_mask", _break_missing_mask, "no left lung mask"),
    ("extra_mask", _break_extra_mask, "mask without an image"),
    ("size_mismatch", _break_size_mismatch, "does not match"),
    ("non_binary", _break_non_binary, "not binary"),
    ("unreadable", _break_unreadable, "unreadable"),
    ("little_endian", _break_little_endian, "exceeds 4095"),
]


class TestJSRTSplit(unittest.TestCase):
    @parameterized.expand(SPLIT_CASES)
    def test_split(self, case, split):
        self.assertEqual(jsrt_split(case), split)

    def test_not_a_case(self):
        with self.assertRaisesRegex(ValueError, "not a JSRT case name"):
            jsrt_split("JPCXX001")


class TestJSRTRawLayout(TempDirTestCase):
    def _run(self, jsrt_dir, scr, *extra):
        return jsrt.main(["--jsrt-dir", str(jsrt_dir), "--scr-dir", str(scr), "--img-size", "64", "--out", str(self.out), *extra])

    def test_convert(self):
        jsrt_dir, scr = make_scr_layout(self.root, CASES)
        self.assertEqual(self._run(jsrt_dir, scr, "--size", "32"), 0)
        datalist = self.out / "datalist.json"
        train = load_decathlon_datalist(datalist, data_list_key="training")
        test = load_decathlon_datalist(datalist, data_list_key="test")
        self.assertEqual([Path(d["image"]).stem for d in train], ["JPCLN001", "JPCLN003", "JPCNN001"])
        self.assertEqual([Path(d["image"]).stem for d in test], ["JPCLN002", "JPCNN002"])
        self.assertEqual(json.loads(datalist.read_text())["polarity_inverted"], [])
        for d in train + test:
            image = np.asarray(Image.open(d["image"]))
            mask = np.asarray(Image.open(d["label"]))
            self.assertEqual((image.shape, image.dtype, mask.shape), ((32, 32), np.uint8, (32, 32)))
            self.assertEqual(set(np.unique(mask).tolist()), {0, 1})
            self.assertLess(image[mask == 1].mean(), image[mask == 0].mean())  # lungs dark
            loaded = LoadImaged(["image", "label"])(d)
            self.assertEqual(tuple(loaded["image"].shape), (32, 32))
        self.assertEqual(leftovers(self.out), [])

    def test_reader_matches_converter(self):
        """The reader and the converter give the same pixels, including a case stored the other way round."""
        jsrt_dir, scr = make_scr_layout(self.root, CASES, invert={n: n != "JPCNN002" for n in CASES})
        self.assertEqual(self._run(jsrt_dir, scr, "--size", "original"), 0)
        self.assertEqual(json.loads((self.out / "datalist.json").read_text())["polarity_inverted"], ["JPCNN002"])
        for name in CASES:
            converted = LoadImage(image_only=True)(self.out / "images" / f"{name}.png")
            reader = JSRTImageReader(shape=(64, 64), invert=name != "JPCNN002")
            direct = LoadImage(reader=reader, image_only=True)(jsrt_dir / f"{name}.IMG")
            self.assertEqual(tuple(direct.shape), (64, 64))
            np.testing.assert_array_equal(direct.numpy(), converted.numpy())
            label = LoadImage(image_only=True)(self.out / "masks" / f"{name}.png")
            self.assertLess(float(direct[label > 0].mean()), float(direct[label == 0].mean()))

    @parameterized.expand(BAD_RAW_CASES)
    def test_bad_input(self, _, breaker, words):
        jsrt_dir, scr = make_scr_layout(self.root, CASES)
        bad_file = breaker(jsrt_dir, scr)
        with _capture() as err:
            code = self._run(jsrt_dir, scr)
        self.assertNotEqual(code, 0)
        messages = [line for line in err.getvalue().splitlines() if str(bad_file) in line]
        self.assertTrue(messages and any(words in m for m in messages), err.getvalue())
        written = json.loads((self.out / "datalist.json").read_text())
        names = [Path(e["image"]).stem for split in ("training", "test") for e in written[split]]
        self.assertEqual(sorted(names), sorted(n for n in CASES if n != "JPCLN003" or words == "mask without an image"))
        self.assertEqual(leftovers(self.out), [])

    def test_missing_scr_dir(self):
        jsrt_dir, _ = make_scr_layout(self.root, {"JPCLN001": 1})
        self.assertNotEqual(jsrt.main(["--jsrt-dir", str(jsrt_dir), "--out", str(self.out)]), 0)


class TestJSRTPngLayout(unittest.TestCase):
    def test_convert_and_polarity(self):
        with tempfile.TemporaryDirectory() as tmp:
            root = make_png_layout(Path(tmp) / "png", CASES)
            inverted = root / "images" / "JPCNN001.png"
            Image.fromarray(255 - np.asarray(Image.open(inverted))).save(inverted)
            out = Path(tmp) / "out"
            self.assertEqual(jsrt.main(["--png-dir", str(root), "--out", str(out), "--size", "original"]), 0)
            content = json.loads((out / "datalist.json").read_text())
            self.assertEqual((content["numTraining"], content["numTest"]), (3, 2))
            self.assertEqual(content["polarity_inverted"], ["JPCNN001"])
            for name, seed in CASES.items():
                grey, _ = chest_phantom(48, seed)
                np.testing.assert_array_equal(np.asarray(Image.open(out / "images" / f"{name}.png")), grey)

    @parameterized.expand([("missing", "masks", "no mask"), ("extra", "images", "mask without an image")])
    def test_pairing(self, _, remove_from, words):
        with tempfile.TemporaryDirectory() as tmp:
            root = make_png_layout(Path(tmp) / "png", CASES)
            (root / remove_from / "JPCLN002.png").unlink()
            with _capture() as err:
                code = jsrt.main(["--png-dir", str(root), "--out", str(Path(tmp) / "out")])
            self.assertNotEqual(code, 0)
            self.assertIn("JPCLN002.png", err.getvalue())
            self.assertIn(words, err.getvalue())


@unittest.skipUnless((JSRT_PNG / "images").is_dir(), f"real JSRT PNG copy not found at {JSRT_PNG}")
class TestJSRTRealData(unittest.TestCase):
    def test_convert_real_png_copy(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp)
            self.assertEqual(jsrt.main(["--png-dir", str(JSRT_PNG), "--out", str(out), "--size", "64"]), 0)
            train = load_decathlon_datalist(out / "datalist.json", data_list_key="training")
            test = load_decathlon_datalist(out / "datalist.json", data_list_key="test")
            self.assertEqual((len(train), len(test)), (124, 123))
            self.assertTrue(all(int(Path(d["image"]).stem[-3:]) % 2 == 1 for d in train))
            for d in train + test:
                mask = np.asarray(Image.open(d["label"]))
                self.assertEqual(mask.shape, (64, 64))
                self.assertTrue(0.15 <= mask.mean() <= 0.50, f"{d['label']}: lung fraction {mask.mean():.3f}")
            sample = LoadImaged(["image", "label"])(train[0])
            self.assertEqual(tuple(sample["image"].shape), (64, 64))


def _capture():
    """Capture stderr (the converters print their problems there)."""
    import contextlib
    import io

    class _Capture(contextlib.redirect_stderr):
        def __init__(self):
            self._buffer = io.StringIO()
            super().__init__(self._buffer)

        def __enter__(self):
            super().__enter__()
            return self._buffer

    return _Capture()


if __name__ == "__main__":
    unittest.main()
