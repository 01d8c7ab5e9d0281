"""Tests for the attack utilities: the step-count formula, the paper's target and the model-state guard."""

from __future__ import annotations

import unittest

import torch
import torch.nn as nn
from parameterized import parameterized

from nlcen_monai.attacks import attack_mode, inverse_target, num_steps
from nlcen_monai.attacks.utils import iteration_seed

# (eps, alpha, expected steps): min(ceil(r) + 4, ceil(1.25 r)) with r = eps / alpha
STEP_CASES = [
    (0.0, 1.0, 0),
    (0.5, 1.0, 1),
    (1.0, 1.0, 2),
    (2.0, 1.0, 3),
    (4.0, 1.0, 5),
    (6.0, 1.0, 8),
    (10.0, 1.0, 13),
    (14.0, 1.0, 18),
    (16.0, 1.0, 20),
    (32.0, 1.0, 36),
    (32.0, 2.0, 20),
    (0.5, 0.5, 2),
    (0.3, 0.1, 4),
]


class TestNumSteps(unittest.TestCase):
    @parameterized.expand(STEP_CASES)
    def test_formula(self, eps, alpha, expected):
        self.assertEqual(num_steps(eps, alpha), expected)

    def test_paper_total(self):
        paper = [0.5, 1, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32]
        self.assertEqual(sum(num_steps(e) for e in paper), 327)

    @parameterized.expand([(-1.0, 1.0), (1.0, 0.0)])
    def test_bad_arguments(self, eps, alpha):
        with self.assertRaises(ValueError):
            num_steps(eps, alpha)


class TestInverseTarget(unittest.TestCase):
    def test_binary(self):
        y = torch.tensor([[[[0.0, 1.0], [1.0, 0.0]]]])
        self.assertTrue(torch.equal(inverse_target(y), 1 - y))

    def test_non_binary_raises(self):
        with self.assertRaises(ValueError):
            inverse_target(torch.tensor([0.0, 2.0]))


class TestAttackMode(unittest.TestCase):
    def test_restores_mixed_state_on_exception(self):
        net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Conv2d(2, 2, 1))
        net.train()
        net[1].eval()
        net[2].weight.requires_grad_(False)
        flags = [p.requires_grad for p in net.parameters()]
        with self.assertRaises(RuntimeError):
            with attack_mode(net):
                self.assertFalse(any(m.training for m in net.modules()))
                self.assertFalse(any(p.requires_grad for p in net.parameters()))
                raise RuntimeError("boom")
        self.assertEqual([m.training for m in net.modules()], [True, True, False, True])
        self.assertEqual([p.requires_grad for p in net.parameters()], flags)


class TestIterationSeed(unittest.TestCase):
    def test_distinct_reproducible_seeds(self):
        seeds = {iteration_seed(0, it, rank) for it in range(50) for rank in range(2)}
        self.assertEqual(len(seeds), 100)
        self.assertEqual(iteration_seed(0, 3, 1), iteration_seed(0, 3, 1))
        self.assertNotEqual(iteration_seed(0, 3), iteration_seed(1, 3))
        self.assertIsNone(iteration_seed(None, 3))


if __name__ == "__main__":
    unittest.main()
