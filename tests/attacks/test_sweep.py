"""Tests for the shared-prefix intensity sweep: identical to the per-intensity loop, and cheaper."""

from __future__ import annotations

import unittest

import torch
import torch.nn as nn
from parameterized import parameterized

from nlcen_monai.attacks import IFGSM, TargetedIFGSM, inverse_target, num_steps, sweep, sweep_plan
from nlcen_monai.attacks.ifgsm import iterative_fgsm

PAPER = [0.5, 1, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32]
SHORT = [0.5, 1, 2, 6, 10, 14, 16]  # fork lengths 1, 1, 1, 2, 3, 4, 4


def float64_net() -> nn.Module:
    """A deterministic float64 conv net (eval-mode BatchNorm with non-trivial statistics)."""
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Conv2d(1, 6, 3, padding=1), nn.BatchNorm2d(6), nn.ReLU(), nn.Conv2d(6, 6, 3, padding=2, dilation=2),
        nn.ReLU(), nn.Conv2d(6, 2, 1),
    ).double()
    with torch.no_grad():
        net[1].running_mean.uniform_(-20, 20)
        net[1].running_var.uniform_(50, 100)
    return net.eval()


class CountingNet(nn.Module):
    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net
        self.images = 0  # images that went through a gradient pass

    def forward(self, x):
        if torch.is_grad_enabled() and x.requires_grad:
            self.images += x.shape[0]
        return self.net(x)


def data(batch: int = 2, integer: bool = True, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    images = torch.rand(batch, 1, 16, 16, generator=g, dtype=torch.float64) * 255
    images = images.round() if integer else images
    images[0, 0, :3] = 0.0
    images[-1, 0, -3:] = 255.0
    label = (torch.rand(batch, 1, 16, 16, generator=g) > 0.4).double()
    return images, label


# (epsilons, alpha, max_batch, integer images, targeted)
CASES = [
    (PAPER, 1.0, None, True, True),
    (SHORT, 1.0, 1, True, True),
    (SHORT, 1.0, 3, True, False),
    ([0.5, 1.5, 3.3, 7.25, 2], 1.0, None, False, True),
    ([0.5, 1, 2, 3, 5], 0.5, 4, False, True),
    ([0.3, 0.9, 1.0, 2.2], 0.3, None, False, False),
    ([4], 1.0, None, True, True),
    ([0, 2, 4], 1.0, None, True, True),
]


class TestSweep(unittest.TestCase):
    @parameterized.expand(CASES)
    def test_identical_to_loop(self, epsilons, alpha, max_batch, integer, targeted):
        net = float64_net()
        images, label = data(integer=integer)
        target = inverse_target(label) if targeted else label
        swept = sweep(net, images, target, epsilons, alpha=alpha, max_batch=max_batch, targeted=targeted)
        self.assertEqual(list(swept), [float(e) for e in epsilons])
        for eps in epsilons:
            expected = iterative_fgsm(net, images, target, eps, alpha=alpha, targeted=targeted)
            self.assertTrue(torch.equal(swept[float(eps)], expected), f"eps={eps}")

    def test_attack_objects_agree(self):
        net = float64_net()
        images, label = data()
        swept = sweep(net, images, inverse_target(label), [2, 8])
        self.assertTrue(torch.equal(swept[8.0], TargetedIFGSM()(net, images, label, 8)))
        untargeted = sweep(net, images, label, [2, 8], targeted=False)
        self.assertTrue(torch.equal(untargeted[2.0], IFGSM()(net, images, label, 2)))

    def test_gradient_passes(self):
        plan = sweep_plan(PAPER)
        self.assertEqual(max(k for k, _ in plan.values()), 32)
        self.assertEqual(sum(n - k for k, n in plan.values()), 54)
        net = CountingNet(float64_net())
        images, label = data(batch=1)
        sweep(net, images, inverse_target(label), PAPER)
        self.assertEqual(net.images, 32 + 54)
        self.assertEqual(sum(num_steps(e) for e in PAPER), 327)

    def test_max_batch_bounds_passes(self):
        net = CountingNet(float64_net())
        seen = []
        inner = net.forward
        net.forward = lambda x: (seen.append(x.shape[0]), inner(x))[1]
        images, label = data(batch=3)
        sweep(net, images, inverse_target(label), SHORT, max_batch=5)
        self.assertLessEqual(max(seen), 5)
        self.assertIn(5, seen)  # forks of several intensities share a pass

    def test_empty_and_bad(self):
        images, label = data()
        self.assertEqual(sweep(float64_net(), images, label, []), {})
        with self.assertRaises(ValueError):
            sweep(float64_net(), images, label, [1], max_batch=0)


if __name__ == "__main__":
    unittest.main()
