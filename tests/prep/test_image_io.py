"""Tests for the converters' 2-D image reader: modes, alpha channels, masks, uint8 scaling, errors that name the file."""

from __future__ import annotations

import tempfile
import unittest
from pathlib import Path

import numpy as np
from parameterized import parameterized
from PIL import Image

from nlcen_monai.data import BadInputError
from nlcen_monai.prep import read_image_2d, read_mask_2d, read_mask_values


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


if __name__ == "__main__":
    unittest.main()
