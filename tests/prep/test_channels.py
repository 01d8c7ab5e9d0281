"""Tests for the per-data-set channel policy: probe, majority vote, conversion."""

from __future__ import annotations

import tempfile
import unittest
from pathlib import Path

import nibabel as nib
import numpy as np
from parameterized import parameterized
from PIL import Image

from nlcen_monai.data import BadInputError
from nlcen_monai.prep import choose_channels, convert_channels, majority_channels, probe_channels

RGB = np.dstack([np.arange(20, dtype=np.uint8).reshape(4, 5), np.zeros((4, 5), np.uint8), np.full((4, 5), 9, np.uint8)])
GREY_AS_RGB = np.dstack([np.arange(20, dtype=np.uint8).reshape(4, 5)] * 3)

# (file name, writer, expected channel count)
PROBES = [
    ("grey.png", lambda p: Image.fromarray(RGB[..., 0]).save(p), 1),
    ("rgb.png", lambda p: Image.fromarray(RGB).save(p), 3),
    ("jpeg_named.png", lambda p: Image.fromarray(RGB).save(p, format="JPEG"), 3),
    ("rgba.png", lambda p: Image.fromarray(np.dstack([RGB, RGB[..., 0]])).save(p), 3),
    ("grey16.png", lambda p: Image.fromarray(RGB[..., 0].astype(np.uint16) * 300).save(p), 1),
    ("grey_palette.gif", lambda p: Image.fromarray(RGB[..., 0]).save(p), 1),
    ("scan.nii.gz", lambda p: nib.save(nib.Nifti1Image(np.zeros((4, 5), np.int16), np.eye(4)), p), 1),
    ("broken.png", lambda p: p.write_bytes(b"\x89PNG broken"), None),
]


class TestChannels(unittest.TestCase):
    @parameterized.expand(PROBES)
    def test_probe(self, name, write, expected):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / name
            write(path)
            self.assertEqual(probe_channels(path), expected)

    def test_majority(self):
        with tempfile.TemporaryDirectory() as tmp:
            paths = []
            for i, array in enumerate([RGB[..., 0], RGB[..., 0], RGB]):
                paths.append(Path(tmp) / f"{i}.png")
                Image.fromarray(array).save(paths[-1])
            self.assertEqual(majority_channels(paths), (1, {1: 2, 3: 1}))
            self.assertEqual(majority_channels(paths[1:]), (3, {1: 1, 3: 1}))  # a tie keeps colour
            self.assertEqual(choose_channels(paths, None), (1, "the majority of the images: 2 grey, 1 RGB; choose with --channels"))
            self.assertEqual(choose_channels(paths, 3), (3, "--channels 3"))

    def test_convert(self):
        self.assertEqual(convert_channels(RGB[..., 0], 3, "x").shape, (4, 5, 3))
        np.testing.assert_array_equal(convert_channels(GREY_AS_RGB, 1, "x", colour_to_grey=False), GREY_AS_RGB[..., 0])
        self.assertEqual(convert_channels(RGB, 1, "x").shape, (4, 5))
        self.assertIs(convert_channels(RGB, 3, "x"), RGB)
        with self.assertRaisesRegex(BadInputError, "^x: expected a grey image, found distinct colour channels"):
            convert_channels(RGB, 1, "x", colour_to_grey=False)
        with self.assertRaises(ValueError):
            convert_channels(RGB, 2, "x")


if __name__ == "__main__":
    unittest.main()
