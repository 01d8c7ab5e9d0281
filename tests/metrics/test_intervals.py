"""Tests for the percentile-bootstrap intervals: coverage on known data, reproducibility, pairing and bad input."""

from __future__ import annotations

import unittest

import numpy as np
from parameterized import parameterized

from nlcen_monai.metrics import mean_interval, paired_difference_interval

BAD_VALUES = [("empty", []), ("nan", [0.5, float("nan")]), ("inf", [0.5, float("inf")])]


class TestMeanInterval(unittest.TestCase):
    def test_mean_inside_and_width_as_the_standard_error_says(self):
        values = np.random.default_rng(1).normal(0.9, 0.05, size=200)
        mean, lo, hi, n = mean_interval(values, n_boot=4000)
        self.assertEqual(n, 200)
        self.assertAlmostEqual(mean, float(values.mean()))
        self.assertLess(lo, mean)
        self.assertGreater(hi, mean)
        # a normal-theory 95 % interval is +/- 1.96 standard errors wide: the bootstrap agrees within 15 %
        half_width = 1.96 * values.std(ddof=1) / np.sqrt(values.size)
        self.assertAlmostEqual((hi - lo) / 2, half_width, delta=0.15 * half_width)

    def test_same_seed_same_interval_other_seed_other_interval(self):
        values = np.linspace(0.0, 1.0, 30) ** 2
        self.assertEqual(mean_interval(values, seed=3), mean_interval(values, seed=3))
        self.assertNotEqual(mean_interval(values, seed=3)[1:3], mean_interval(values, seed=4)[1:3])

    def test_higher_confidence_is_wider(self):
        values = np.random.default_rng(2).uniform(size=50)
        _, lo90, hi90, _ = mean_interval(values, confidence=0.9)
        _, lo99, hi99, _ = mean_interval(values, confidence=0.99)
        self.assertLess(lo99, lo90)
        self.assertGreater(hi99, hi90)

    def test_constant_and_single_values_have_no_width(self):
        self.assertEqual(mean_interval([0.7] * 5), (0.7, 0.7, 0.7, 5))
        self.assertEqual(mean_interval([0.3]), (0.3, 0.3, 0.3, 1))

    @parameterized.expand(BAD_VALUES)
    def test_bad_values_are_refused(self, _, values):
        with self.assertRaises(ValueError):
            mean_interval(values)

    def test_bad_settings_are_refused(self):
        with self.assertRaises(ValueError):
            mean_interval([0.1, 0.2], confidence=1.0)
        with self.assertRaises(ValueError):
            mean_interval([0.1, 0.2], n_boot=0)


class TestPairedDifferenceInterval(unittest.TestCase):
    def test_pairing_narrows_the_interval_of_a_shared_shift(self):
        """Scores that vary a lot between images but drop by about 0.01 in each: the paired interval excludes 0."""
        rng = np.random.default_rng(0)
        clean = rng.uniform(0.5, 1.0, size=40)
        corrupted = clean - 0.01 + rng.normal(0, 0.002, size=40)
        diff, lo, hi, n = paired_difference_interval(clean, corrupted)
        self.assertEqual(n, 40)
        self.assertAlmostEqual(diff, float(np.mean(clean - corrupted)))
        self.assertGreater(lo, 0.0)
        self.assertLess(hi, 0.02)
        # unpaired, the two means' intervals overlap: the shift is lost in the spread between images
        _, clean_lo, clean_hi, _ = mean_interval(clean)
        _, other_lo, other_hi, _ = mean_interval(corrupted)
        self.assertLess(clean_lo, other_hi)

    def test_different_lengths_are_refused(self):
        with self.assertRaises(ValueError):
            paired_difference_interval([0.1, 0.2], [0.1])


if __name__ == "__main__":
    unittest.main()
