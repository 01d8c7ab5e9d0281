"""Tests for the synthetic phantoms: seeded determinism, polarity, mask fractions, formats."""

from __future__ import annotations

import unittest

import numpy as np
from parameterized import parameterized

from nlcen_monai.data import chest_phantom, lesion_phantom, lungs_are_dark

SEEDS = [(0,), (1,), (7,), (123,)]


class TestChestPhantom(unittest.TestCase):
    @parameterized.expand(SEEDS)
    def test_chest(self, seed):
        image, mask = chest_phantom(96, seed)
        self.assertEqual((image.shape, image.dtype, mask.shape, mask.dtype), ((96, 96), np.uint8, (96, 96), np.uint8))
        self.assertEqual(set(np.unique(mask).tolist()), {0, 1})
        self.assertTrue(0.15 <= mask.mean() <= 0.45, mask.mean())
        self.assertLess(image[mask == 1].mean() + 20, image[mask == 0].mean())  # lungs clearly darker
        self.assertTrue(lungs_are_dark(image, mask))
        # two lung fields: the mask is split by the spine into left and right halves
        self.assertTrue(mask[:, :44].any() and mask[:, 52:].any() and not mask[:, 47:49].any())

    def test_deterministic(self):
        a, b, c = chest_phantom(64, 5), chest_phantom(64, np.random.default_rng(5)), chest_phantom(64, 6)
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_array_equal(a[1], b[1])
        self.assertFalse(np.array_equal(a[0], c[0]))

    def test_too_small(self):
        with self.assertRaises(ValueError):
            chest_phantom(8, 0)


class TestLesionPhantom(unittest.TestCase):
    @parameterized.expand(SEEDS)
    def test_lesion(self, seed):
        image, mask = lesion_phantom(80, seed)
        self.assertEqual((image.shape, image.dtype, mask.shape), ((80, 80, 3), np.uint8, (80, 80)))
        self.assertEqual(set(np.unique(mask).tolist()), {0, 1})
        self.assertTrue(0.02 <= mask.mean() <= 0.4, mask.mean())
        self.assertLess(image[mask == 1].mean(), image[mask == 0].mean())  # lesion darker than skin
        red, blue = image[mask == 0][:, 0].mean(), image[mask == 0][:, 2].mean()
        self.assertGreater(red, blue)  # skin-like hue

    def test_deterministic(self):
        np.testing.assert_array_equal(lesion_phantom(48, 3)[0], lesion_phantom(48, 3)[0])
        self.assertFalse(np.array_equal(lesion_phantom(48, 3)[1], lesion_phantom(48, 4)[1]))


if __name__ == "__main__":
    unittest.main()
