"""Tests for the metric-key type: names round trip, reject what they do not name, and match the evaluator's."""

from __future__ import annotations

import unittest

from parameterized import parameterized

from nlcen_monai.robustness import MetricKey, eps_key, format_eps

# (key, name)
ROUND_TRIPS = [
    (MetricKey("dice", 8), "dice_eps8"),
    (MetricKey("jaccard", 0.5, "apgd_ce"), "jaccard_apgd_ce_eps0.5"),
    (MetricKey("dice", 0), "dice_eps0"),
    (MetricKey("dice", 255, "check_unbounded"), "dice_check_unbounded_eps255"),
    (MetricKey("dice", 32, "x_eps2"), "dice_x_eps2_eps32"),  # an attack name that looks like a key
    (MetricKey("jaccard", 123.456789, "pgd"), "jaccard_pgd_eps123.456789"),  # 6 decimals, exact
]


class TestMetricKey(unittest.TestCase):
    @parameterized.expand([(name, key, name) for key, name in ROUND_TRIPS])
    def test_round_trip(self, _, key, name):
        self.assertEqual(key.to_name(), name)
        self.assertEqual(MetricKey.from_name(name), key)
        self.assertEqual(MetricKey.from_name(key.to_name()).to_name(), name)
        self.assertTrue(MetricKey.is_name(name))

    @parameterized.expand([("val_mean_dice",), ("dice_eps",), ("dice_pgd",), ("loss_eps8",), ("dice_epsx",), ("",)])
    def test_other_names_are_rejected(self, name):
        self.assertFalse(MetricKey.is_name(name))
        with self.assertRaises(ValueError):
            MetricKey.from_name(name)

    def test_values_are_normalised(self):
        self.assertEqual(MetricKey("dice", 8.0000000001), MetricKey("dice", 8))
        self.assertEqual(MetricKey("dice", 8, ""), MetricKey("dice", 8))
        with self.assertRaisesRegex(ValueError, "kind"):
            MetricKey("accuracy", 8)
        self.assertEqual(eps_key(0.50000001), 0.5)
        self.assertEqual([format_eps(e) for e in (8.0, 0.5, 255, 1e-6)], ["8", "0.5", "255", "1e-06"])


if __name__ == "__main__":
    unittest.main()
