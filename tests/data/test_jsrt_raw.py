"""Tests for the JSRT raw helpers shared by the converter and the reader."""

from __future__ import annotations

import tempfile
import unittest
from pathlib import Path

import numpy as np
from parameterized import parameterized

from nlcen_monai.data import BadInputError, chest_phantom, jsrt_to_grey, lungs_are_dark, read_jsrt_raw

# (bytes to write for a 4 x 6 file, words in the error)
BAD_FILES = [
    (b"\x00" * 47, "truncated"),
    (b"\x00" * 50, "wrong size"),
    (np.full((4, 6), 4096, ">u2").tobytes(), "exceeds 4095"),
]


class TestReadJSRTRaw(unittest.TestCase):
    def test_big_endian_12_bit(self):
        raw = np.arange(24, dtype=np.uint16).reshape(4, 6) * 170
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "JPCLN001.IMG"
            raw.astype(">u2").tofile(path)
            out = read_jsrt_raw(path, (4, 6))
        self.assertEqual(out.dtype, np.uint16)
        np.testing.assert_array_equal(out, raw)

    @parameterized.expand(BAD_FILES)
    def test_bad_file(self, content, words):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "JPCLN001.IMG"
            path.write_bytes(content)
            with self.assertRaises(BadInputError) as ctx:
                read_jsrt_raw(path, (4, 6))
        self.assertIn(str(path), str(ctx.exception))
        self.assertIn(words, str(ctx.exception))

    def test_missing_file(self):
        with self.assertRaisesRegex(BadInputError, "nowhere.IMG"):
            read_jsrt_raw("/nowhere.IMG")

    def test_default_shape_is_jsrt(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "small.IMG"
            path.write_bytes(b"\x00" * 2 * 64 * 64)
            with self.assertRaisesRegex(BadInputError, "8388608"):  # 2048 * 2048 * 2 bytes expected
                read_jsrt_raw(path)


class TestJSRTToGrey(unittest.TestCase):
    def test_scaling_and_polarity(self):
        raw = np.array([0, 8, 9, 2047, 2048, 4087, 4095], dtype=np.uint16)
        expected = np.rint(raw.astype(np.float64) * 255 / 4095).astype(np.uint8)
        np.testing.assert_array_equal(jsrt_to_grey(raw, invert=False), expected)
        np.testing.assert_array_equal(jsrt_to_grey(raw, invert=True), 255 - expected)
        self.assertEqual(jsrt_to_grey(np.array([0, 4095]), invert=True).tolist(), [255, 0])

    def test_inversion_is_exact_on_all_values(self):
        raw = np.arange(4096, dtype=np.uint16)
        np.testing.assert_array_equal(jsrt_to_grey(raw, True), 255 - jsrt_to_grey(raw, False))


class TestLungsAreDark(unittest.TestCase):
    @parameterized.expand([(0,), (1,), (2,)])
    def test_phantom(self, seed):
        image, mask = chest_phantom(64, seed)
        self.assertTrue(lungs_are_dark(image, mask))
        self.assertFalse(lungs_are_dark(255 - image, mask))

    def test_coarser_mask_and_dark_air(self):
        """Dark air around a bright body must not flip the verdict; the mask may be half-size."""
        image = np.full((64, 64), 30, np.uint8)
        image[:, 8:56] = 200  # body
        image[16:48, 14:30] = 150  # lungs darker than the body, brighter than the air
        image[16:48, 34:50] = 150
        mask = np.zeros((32, 32), bool)
        mask[8:24, 7:15] = mask[8:24, 17:25] = True
        self.assertTrue(lungs_are_dark(image, mask))

    def test_trivial_mask(self):
        with self.assertRaises(ValueError):
            lungs_are_dark(np.zeros((8, 8)), np.zeros((8, 8), bool))


if __name__ == "__main__":
    unittest.main()
