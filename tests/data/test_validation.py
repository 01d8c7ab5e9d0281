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
    check_mask_not_trivial,
    check_not_constant,
    check_pair_shapes,
    read_image_2d,
    read_mask_2d,
    read_mask_values,
    threshold_mask,
    to_uint8,
)

BINARY = [
    (np.array([[0, 1], [1, 0]], np.uint8), [[False, True], [True, False]]),
    (np.array([[0, 255], [0, 0]], np.uint8), [[False, True], [False, False]]),
    (np.array([[0.0, 1.0], [0.0, 0.0]], np.float32), [[False, True], [False, False]]),
    (np.zeros((2, 2), np.uint8), [[False, False], [False, False]]),
    (np.array([[0, 65535]], np.uint16), [[False, True]]),  # 16-bit 0/max
    (np.array([[0, 65535]], np.int32), [[False, True]]),  # a 16-bit file widened by its reader
    (np.array([[0, 255]], np.uint16), [[False, True]]),  # 0/255 saved as 16 bits
    (np.array([[False, True]]), [[False, True]]),
    (np.full((1, 2), 65535, np.uint16), [[True, True]]),  # one level only: binary (rejected as full elsewhere)
]
NON_BINARY = [
    (np.array([[0, 1], [255, 0]], np.uint8),),
    (np.array([[0, 128]], np.uint8),),
    (np.array([[0.0, 0.5]]),),
    (np.array([[0, 1, 2, 3]], np.uint8),),  # hand-drawn levels
    (np.array([[0, 255, 65535]], np.uint16),),
]
# (mask, threshold, expected foreground, pixels strictly between the lowest and highest value)
THRESHOLDS = [
    (np.array([[0, 1, 2, 3]], np.uint8), 0, [[False, True, True, True]], 2),
    (np.array([[0, 1, 2, 3]], np.uint8), 1.5, [[False, False, True, True]], 2),
    (np.array([[0, 128, 255, 255]], np.uint8), 127, [[False, True, True, True]], 1),
    (np.array([[0, 65535]], np.uint16), 32767, [[False, True]], 0),
    (np.array([[0.0, 0.4, 0.6, 1.0]], np.float32), 0.5, [[False, False, True, True]], 2),
    (np.array([[False, True]]), 0, [[False, True]], 0),
]


class TestChecks(unittest.TestCase):
    @parameterized.expand(BINARY)
    def test_binary(self, mask, expected):
        np.testing.assert_array_equal(check_binary_mask(mask, "m.png"), expected)

    @parameterized.expand(NON_BINARY)
    def test_non_binary(self, mask):
        with self.assertRaisesRegex(BadInputError, "m.png: mask is not binary"):
            check_binary_mask(mask, "m.png")

    @parameterized.expand(NON_BINARY)
    def test_non_binary_suggests_threshold(self, mask):
        with self.assertRaisesRegex(BadInputError, "give --mask-threshold T to binarise it"):
            check_binary_mask(mask, "m.png")

    @parameterized.expand(THRESHOLDS)
    def test_threshold(self, mask, threshold, expected, changed):
        binary, count = threshold_mask(mask, "m.png", threshold)
        np.testing.assert_array_equal(binary, expected)
        self.assertEqual(count, changed)

    def test_no_threshold_is_strict(self):
        np.testing.assert_array_equal(threshold_mask(np.array([[0, 255]], np.uint8), "m", None)[0], [[False, True]])
        with self.assertRaisesRegex(BadInputError, "not binary"):
            threshold_mask(np.array([[0, 3]], np.uint8), "m", None)

    def test_trivial_masks(self):
        check_mask_not_trivial(np.array([[False, True]]), "m")
        with self.assertRaisesRegex(BadInputError, r"^m: mask is empty \(no foreground pixel\)"):
            check_mask_not_trivial(np.zeros((2, 2), bool), "m")
        with self.assertRaisesRegex(BadInputError, "^m: mask covers the whole image"):
            check_mask_not_trivial(np.ones((2, 2), bool), "m")

    @parameterized.expand([((4, 5), np.uint8), ((4, 5, 3), np.uint8), ((4, 5), np.float32), ((3000, 3), np.uint16)])
    def test_constant(self, shape, dtype):
        with self.assertRaisesRegex(BadInputError, "^x: constant image"):
            check_not_constant(np.full(shape, 7, dtype), "x")
        image = np.full(shape, 7, dtype)
        image.reshape(-1)[-1] = 8  # one pixel differs, after any sample
        check_not_constant(image, "x")

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

    def test_keep_alpha(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "a.png"
            Image.fromarray(np.dstack([np.zeros((5, 7, 3), np.uint8), np.full((5, 7), 9, np.uint8)])).save(path)
            self.assertEqual(read_image_2d(path, keep_alpha=True)[..., 3].max(), 9)
            la = Path(tmp) / "la.png"
            Image.fromarray(np.zeros((5, 7, 2), np.uint8), mode="LA").save(la)
            self.assertEqual(read_image_2d(la, keep_alpha=True).shape, (5, 7, 4))

    @parameterized.expand(
        [
            ("grey", lambda lab: lab * 255, None),
            ("rgb_equal", lambda lab: np.dstack([lab * 255] * 3), None),
            ("alpha_on_black", lambda lab: np.dstack([np.zeros_like(lab)] * 3 + [lab * 255]), None),
            ("alpha_on_red", lambda lab: np.dstack([np.full_like(lab, 255), np.zeros_like(lab), np.zeros_like(lab), lab * 255]), None),
            ("white_on_transparent", lambda lab: np.dstack([lab * 255] * 4), None),
            ("opaque_rgba", lambda lab: np.dstack([lab * 255] * 3 + [np.full_like(lab, 255)]), None),
            ("colour_and_alpha_differ", lambda lab: np.dstack([lab * 255] * 3 + [lab[::-1] * 255]), "alpha channel"),
            ("red_label", lambda lab: np.dstack([lab * 255, np.zeros_like(lab), np.zeros_like(lab)]), "must be grey"),
        ]
    )
    def test_mask_channels(self, _, make, error):
        label = np.zeros((6, 8), np.uint8)
        label[1:3, 2:7] = 1
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "m.png"
            Image.fromarray(make(label).astype(np.uint8)).save(path)
            if error is None:
                np.testing.assert_array_equal(read_mask_2d(path), label.astype(bool))
                self.assertEqual(read_mask_values(path).ndim, 2)
            else:
                with self.assertRaisesRegex(BadInputError, f"m.png: .*{error}"):
                    read_mask_2d(path)

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
