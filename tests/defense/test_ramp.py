"""The eps ramp: the configured budget at every epoch."""

from __future__ import annotations

import unittest

from parameterized import parameterized

from nlcen_monai.defense import ramped_eps

# (eps, ramp_epochs, start_eps, budgets of epochs 0..6)
CASES = [
    (8.0, 4, 0.0, [0.0, 2.0, 4.0, 6.0, 8.0, 8.0, 8.0]),
    (8.0, 0, 0.0, [8.0] * 7),
    (12.0, 3, 3.0, [3.0, 6.0, 9.0, 12.0, 12.0, 12.0, 12.0]),
    (8.0, 1, 0.0, [0.0] + [8.0] * 6),
]


class TestRampedEps(unittest.TestCase):
    @parameterized.expand(CASES)
    def test_budget_per_epoch(self, eps, ramp_epochs, start_eps, expected):
        self.assertEqual([ramped_eps(eps, e, ramp_epochs, start_eps) for e in range(7)], expected)

    @parameterized.expand([(-1.0, 0, 0.0, 1), (8.0, -1, 0.0, 1), (8.0, 2, 9.0, 1), (8.0, 2, 0.0, -1)])
    def test_bad_arguments(self, eps, ramp_epochs, start_eps, epoch):
        with self.assertRaises(ValueError):
            ramped_eps(eps, epoch, ramp_epochs, start_eps)


if __name__ == "__main__":
    unittest.main()
