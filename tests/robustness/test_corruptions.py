"""Tests for the image corruptions: identity at severity 0, growing distortion, the pixel domain, seeds, the table."""

from __future__ import annotations

import re
import unittest

import numpy as np
import torch
from parameterized import parameterized

import nlcen_monai.robustness.corruptions as corruptions_module
from nlcen_monai.data import chest_phantom
from nlcen_monai.robustness import CORRUPTIONS, Corrupt, JPEGCompression, RandPoissonNoise, corruption_names, image_seed

NAMES = [(name,) for name in CORRUPTIONS]
RANDOM = [("gaussian_noise",), ("poisson_noise",), ("bias_field",)]
SIZES = [(32,), (48,)]


def phantom(size: int = 32, seed: int = 0) -> torch.Tensor:
    """A (1, size, size) float32 chest phantom in [0, 255]."""
    return torch.tensor(chest_phantom(size, seed)[0], dtype=torch.float32)[None]


def change(name: str, severity: int, image: torch.Tensor, seed: int = 5) -> float:
    """The mean absolute change of ``image``'s grey levels under one corruption and severity."""
    return float((Corrupt(name, severity, seed=seed)(image) - image).abs().mean())


class TestCorrupt(unittest.TestCase):
    def test_nine_corruptions_five_severities_each(self):
        self.assertEqual(len(CORRUPTIONS), 9)
        self.assertTrue(all(len(c.severities) == 5 for c in CORRUPTIONS.values()))

    @parameterized.expand(NAMES)
    def test_severity_zero_is_the_identity(self, name):
        image = phantom()
        out = Corrupt(name, 0, seed=1)(image)
        self.assertTrue(torch.equal(out, image))
        self.assertIsNot(out, image)

    @parameterized.expand(NAMES)
    def test_distortion_grows_with_severity(self, name):
        for seed in range(2):
            image = phantom(seed=seed)
            changes = [change(name, s, image) for s in range(6)]
            self.assertTrue(all(b > a for a, b in zip(changes, changes[1:])), f"{name}: {changes}")

    @parameterized.expand(NAMES)
    def test_output_stays_in_the_pixel_domain_with_its_shape(self, name):
        image = phantom()
        image[0, :4] = 0.0  # extremes that noise, shifts and fields push out of [0, 255]
        image[0, -4:] = 255.0
        for severity in range(6):
            out = Corrupt(name, severity, seed=3)(image)
            self.assertEqual(out.shape, image.shape)
            self.assertEqual(out.dtype, torch.float32)
            self.assertGreaterEqual(float(out.min()), 0.0)
            self.assertLessEqual(float(out.max()), 255.0)

    @parameterized.expand(NAMES)
    def test_same_seed_same_output(self, name):
        image = phantom()
        self.assertTrue(torch.equal(Corrupt(name, 3, seed=11)(image), Corrupt(name, 3, seed=11)(image)))

    @parameterized.expand(RANDOM)
    def test_another_seed_another_output(self, name):
        image = phantom()
        self.assertFalse(torch.equal(Corrupt(name, 3, seed=11)(image), Corrupt(name, 3, seed=12)(image)))

    def test_gaussian_noise_of_a_severity_is_the_same_pattern_scaled(self):
        """One seed for every severity: severity 2's noise (std 8) is twice severity 1's (std 4) where unclipped."""
        image = torch.full((1, 32, 32), 128.0)
        first = Corrupt("gaussian_noise", 1, seed=4)(image) - image
        second = Corrupt("gaussian_noise", 2, seed=4)(image) - image
        torch.testing.assert_close(second, 2 * first, rtol=1e-4, atol=1e-3)

    @parameterized.expand(SIZES)
    def test_blur_keeps_a_flat_image_flat_to_the_border(self, size):
        """Reflection padding: MONAI's GaussianSmooth alone (zero padding) darkens the border of a flat image."""
        image = torch.full((1, size, size), 200.0)
        # within 0.05 grey levels (the truncated kernel's sum is not exactly 1); zero padding loses tens at the border
        torch.testing.assert_close(Corrupt("gaussian_blur", 5)(image), image, rtol=0.0, atol=0.05)

    def test_values_replace_the_table(self):
        image = torch.full((1, 16, 16), 100.0)
        self.assertTrue(torch.equal(Corrupt("brightness", 1, values=[7])(image), image + 7))
        self.assertEqual(Corrupt("brightness", 2).value, CORRUPTIONS["brightness"].severities[1])
        self.assertIsNone(Corrupt("brightness", 0).value)

    def test_unknown_corruption_and_bad_severity_are_refused(self):
        with self.assertRaisesRegex(ValueError, "unknown corruption"):
            Corrupt("snow", 1)
        with self.assertRaisesRegex(ValueError, "severity"):
            Corrupt("jpeg", 6)
        with self.assertRaisesRegex(ValueError, "unknown corruption"):
            corruption_names(["jpeg", "fog"])

    def test_image_seed_is_fixed_across_machines_and_runs(self):
        """The seed comes from CRC-32 and NumPy's SeedSequence, not from Python's per-process salted hash()."""
        self.assertEqual(image_seed(0, "JPCLN002", "gaussian_noise"), image_seed(0, "JPCLN002", "gaussian_noise"))
        self.assertEqual(image_seed(0, "JPCLN002", "gaussian_noise"), 1293354175)
        seeds = {image_seed(s, c, n) for s in (0, 1) for c in ("a", "b") for n in ("jpeg", "bias_field")}
        self.assertEqual(len(seeds), 8)

    def test_the_modules_table_lists_the_severities_of_corruptions(self):
        """The docstring's table of parameter values is the one the code uses."""
        documented = {}
        for line in corruptions_module.__doc__.splitlines():
            match = re.match(r"``(\w+)``\s{2,}.+?\s{2,}([\d., ]+?)\s{2,}", line)
            if match:
                documented[match.group(1)] = tuple(float(v) for v in match.group(2).split(","))
        self.assertEqual(documented, {k: tuple(map(float, c.severities)) for k, c in CORRUPTIONS.items()})


class TestHandWrittenCorruptions(unittest.TestCase):
    def test_poisson_noise_variance_follows_the_photon_count(self):
        """A pixel of grey level v gets noise of variance v * 255 / photons."""
        image = torch.full((1, 128, 128), 100.0)
        for photons in (30.0, 300.0):
            out = RandPoissonNoise(photons).set_random_state(0)(image)
            self.assertAlmostEqual(float(out.mean()), 100.0, delta=1.0)
            self.assertAlmostEqual(float(out.var()), 100.0 * 255.0 / photons, delta=0.1 * 100.0 * 255.0 / photons)

    def test_poisson_noise_refuses_no_photons(self):
        with self.assertRaises(ValueError):
            RandPoissonNoise(0)

    def test_jpeg_round_trip_grey_and_rgb(self):
        rng = np.random.default_rng(0)
        for channels in (1, 3):
            image = torch.tensor(rng.uniform(0, 255, (channels, 24, 24)), dtype=torch.float32)
            low, high = JPEGCompression(5)(image), JPEGCompression(95)(image)
            self.assertEqual(low.shape, image.shape)
            self.assertEqual(low.dtype, torch.float32)
            self.assertLess(float((high - image).abs().mean()), float((low - image).abs().mean()))

    def test_jpeg_refuses_bad_quality_and_shape(self):
        with self.assertRaises(ValueError):
            JPEGCompression(0)
        with self.assertRaisesRegex(ValueError, "JPEG needs"):
            JPEGCompression(50)(torch.zeros(2, 8, 8))


if __name__ == "__main__":
    unittest.main()
