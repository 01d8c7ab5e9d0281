"""Tests for PairReader: one channel count and one mask policy per data set, and the report of what it changed."""

from __future__ import annotations

import tempfile
import unittest
from pathlib import Path

import numpy as np
from PIL import Image

from nlcen_monai.data import BadInputError
from nlcen_monai.prep import PairReader


class TestPairReader(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.root = Path(self._tmp.name)
        grey = np.arange(48, dtype=np.uint8).reshape(6, 8) * 5
        Image.fromarray(grey).save(self.root / "grey.png")
        Image.fromarray(np.dstack([grey, grey // 2, grey // 3])).save(self.root / "rgb.png")
        soft = np.zeros((6, 8), np.uint8)
        soft[2:4, 2:6], soft[1, 2:6] = 255, 128
        Image.fromarray(soft).save(self.root / "soft.png")
        Image.fromarray((soft == 255).astype(np.uint8) * 255).save(self.root / "binary.png")

    def tearDown(self):
        self._tmp.cleanup()

    def test_channels_report(self):
        reader = PairReader(3, channels_reason="--channels 3")
        image, mask = reader.pair(self.root / "grey.png", self.root / "binary.png")
        self.assertEqual((image.shape, int(mask.sum())), ((6, 8, 3), 8))
        reader.image(self.root / "rgb.png")
        self.assertEqual(reader.report(), ["channels: converted 1 image(s) to RGB (--channels 3):", f"  {self.root / 'grey.png'} (grey -> RGB)"])
        self.assertEqual(reader.provenance(), {})

    def test_threshold_report(self):
        reader = PairReader(mask_threshold=127)
        self.assertEqual(int(reader.mask(self.root / "soft.png").sum()), 12)
        reader.mask(self.root / "binary.png")
        self.assertEqual(
            reader.report(),
            [
                "--mask-threshold 127: changed 4 pixel(s) in 1 of 2 mask(s) (pixels strictly between a mask's lowest and highest value):",
                f"  {self.root / 'soft.png'}: 4 of 48 pixels",
            ],
        )
        self.assertEqual(reader.provenance(), {"mask_threshold": 127})

    def test_strict_and_shape_first(self):
        with self.assertRaisesRegex(BadInputError, "soft.png: mask is not binary"):
            PairReader().mask(self.root / "soft.png")
        Image.fromarray(np.zeros((5, 8), np.uint8)).save(self.root / "small_empty.png")
        with self.assertRaisesRegex(BadInputError, "small_empty.png: mask size 8 x 5 does not match"):
            PairReader().pair(self.root / "grey.png", self.root / "small_empty.png")
        with self.assertRaisesRegex(BadInputError, "rgb.png: expected a grey image"):
            PairReader(1, colour_to_grey=False).image(self.root / "rgb.png")


if __name__ == "__main__":
    unittest.main()
