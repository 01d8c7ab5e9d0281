"""Tests for the input checks, atomic writes and the 2-D image reader."""

from __future__ import annotations

import tempfile
import unittest
from pathlib import Path
from unittest import mock

import numpy as np
from parameterized import parameterized
from PIL import Image

from nlcen_monai.data import (
    BadInputError,
    atomic_write_json,
    atomic_write_png,
    check_binary_mask,
    check_pair_shapes,
    read_image_2d,
    read_mask_2d,
    to_uint8,
)

BINARY = [
    (np.array([[0, 1], [1, 0]], np.uint8), [[False, True], [True, False]]),
    (np.array([[0, 255], [0, 0]], np.uint8), [[False, True], [False, False]]),
    (np.array([[0.0, 1.0], [0.0, 0.0]], np.float32), [[False, True], [False, False]]),
    (np.zeros((2, 2), np.uint8), [[False, False], [False, False]]),
]
NON_BINARY = [(np.array([[0, 1], [255, 0]], np.uint8),), (np.array([[0, 128]], np.uint8),), (np.array([[0.0, 0.5]]),)]


class TestChecks(unittest.TestCase):
    @parameterized.expand(BINARY)
    def test_binary(self, mask, expected):
        np.testing.assert_array_equal(check_binary_mask(mask, "m.png"), expected)

    @parameterized.expand(NON_BINARY)
    def test_non_binary(self, mask):
        with self.assertRaisesRegex(BadInputError, "m.png: mask is not binary"):
            check_binary_mask(mask, "m.png")

    def test_shapes(self):
        check_pair_shapes((64, 48), (64, 48), "i", "m")
        check_pair_shapes((64, 48), (32, 24), "i", "m", allow_integer_scale=True)
        for mask_shape, scale in (((32, 24), False), ((32, 48), True), ((30, 20), True)):
            with self.assertRaisesRegex(BadInputError, "^m: mask size"):
                check_pair_shapes((64, 48), mask_shape, "i", "m", allow_integer_scale=scale)

    def test_to_uint8(self):
        np.testing.assert_array_equal(to_uint8(np.array([[0, 7]], np.int32), "x"), [[0, 7]])
        np.testing.assert_array_equal(to_uint8(np.array([[100, 1100]], np.uint16), "x"), [[0, 255]])
        with self.assertRaisesRegex(BadInputError, "x: constant image"):
            to_uint8(np.full((2, 2), 1000, np.uint16), "x")
        with self.assertRaisesRegex(BadInputError, "x: image contains NaN"):
            to_uint8(np.array([[np.nan, 1.0]]), "x")


class TestReadImage(unittest.TestCase):
    def test_modes(self):
        with tempfile.TemporaryDirectory() as tmp:
            rgba = Path(tmp) / "a.png"
            Image.fromarray(np.zeros((5, 7, 4), np.uint8)).save(rgba)
            self.assertEqual(read_image_2d(rgba).shape, (5, 7, 3))
            gif = Path(tmp) / "m.gif"
            Image.fromarray((np.arange(35).reshape(5, 7) % 2 * 255).astype(np.uint8)).save(gif)
            mask = read_mask_2d(gif)  # palette image of greys
            self.assertEqual((mask.shape, int(mask.sum())), ((5, 7), 17))

    def test_errors_name_the_file(self):
        with tempfile.TemporaryDirectory() as tmp:
            missing, broken = Path(tmp) / "none.png", Path(tmp) / "broken.jpg"
            broken.write_bytes(b"\xff\xd8\xff not a jpeg")
            with self.assertRaisesRegex(BadInputError, "none.png: file not found"):
                read_image_2d(missing)
            with self.assertRaisesRegex(BadInputError, "broken.jpg: unreadable image"):
                read_image_2d(broken)
            colour = Path(tmp) / "colour.png"
            Image.fromarray(np.dstack([np.zeros((4, 4), np.uint8), np.full((4, 4), 255, np.uint8), np.zeros((4, 4), np.uint8)])).save(colour)
            with self.assertRaisesRegex(BadInputError, "colour.png: a mask must be grey"):
                read_mask_2d(colour)


class TestAtomicWrite(unittest.TestCase):
    def test_writes(self):
        with tempfile.TemporaryDirectory() as tmp:
            png = atomic_write_png(Path(tmp) / "sub" / "x.png", np.full((3, 4), 9, np.uint8))
            np.testing.assert_array_equal(np.asarray(Image.open(png)), np.full((3, 4), 9))
            self.assertEqual(png.stat().st_mode & 0o777 & 0o044, 0o044)  # readable like a normal file
            atomic_write_json(Path(tmp) / "d.json", {"a": 1})
            self.assertEqual((Path(tmp) / "d.json").read_text().strip(), '{\n  "a": 1\n}')

    def test_crash_keeps_old_file_and_leaves_no_temp(self):
        with tempfile.TemporaryDirectory() as tmp:
            target = Path(tmp) / "d.json"
            atomic_write_json(target, {"old": True})
            with mock.patch("os.fsync", side_effect=OSError("disk died")), self.assertRaises(OSError):
                atomic_write_json(target, {"new": True})
            self.assertEqual(target.read_text().strip(), '{\n  "old": true\n}')
            self.assertEqual(sorted(p.name for p in Path(tmp).iterdir()), ["d.json"])

    def test_rejects_non_uint8(self):
        with tempfile.TemporaryDirectory() as tmp, self.assertRaises(TypeError):
            atomic_write_png(Path(tmp) / "x.png", np.zeros((2, 2), np.float32))


if __name__ == "__main__":
    unittest.main()
