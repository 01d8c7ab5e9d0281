"""What is particular to PGD: the budget (``pgd_budget``), the step as a fraction of eps (``step_ratio``)."""

from __future__ import annotations

import unittest

import torch
from parameterized import parameterized

from nlcen_monai.attacks import PGD, pgd_budget

from tests.attacks.attack_checks import data, tiny_net


class TestBudget(unittest.TestCase):
    def test_pgd_budget(self):
        self.assertEqual(pgd_budget(8.0, None, 5), (4.0, 5))  # Madry et al.: 2.5 eps / steps
        self.assertEqual(pgd_budget(8.0, 0.5, 3), (0.5, 3))
        self.assertEqual(pgd_budget(4.0, None, None), (1.0, 5))  # the paper's: 1 grey level, num_steps(eps)


class TestStepRatio(unittest.TestCase):
    @parameterized.expand([(2.0,), (7.3,), (12.0,)])
    def test_step_follows_eps(self, eps):
        """``step_ratio`` is ``alpha = step_ratio * eps`` at every intensity (computed in that order)."""
        model = tiny_net().eval()
        images, label = data()
        ratio = 2.5 / 3
        by_ratio = PGD(steps=3, step_ratio=ratio, seed=1)(model, images, label, eps)
        by_alpha = PGD(steps=3, alpha=ratio * eps, seed=1)(model, images, label, eps)
        self.assertTrue(torch.equal(by_ratio, by_alpha))
        self.assertEqual(PGD(steps=3, step_ratio=ratio).step(eps), ratio * eps)
        self.assertEqual(PGD(steps=3, step_ratio=ratio).cost(eps), 4.0)

    def test_default_step(self):
        self.assertIsNone(PGD(steps=3).step(8.0))  # pgd_budget's 2.5 eps / steps
        self.assertEqual(PGD(alpha=0.5).step(8.0), 0.5)

    @parameterized.expand([({"alpha": 1.0, "step_ratio": 0.5},), ({"step_ratio": 0.0},), ({"step_ratio": -1.0},)])
    def test_bad_arguments(self, kwargs):
        with self.assertRaises(ValueError):
            PGD(**kwargs)


if __name__ == "__main__":
    unittest.main()
