"""Crafting the training images: eps-ball (N-FGSM: beyond it) and [0, 255], the network's state untouched,
seeding, step counts."""

from __future__ import annotations

import unittest

import torch
import torch.nn.functional as F
from parameterized import parameterized

from nlcen_monai.attacks.utils import generator
from nlcen_monai.defense import craft_adversarial, default_step_ratio, iteration_seed

from tests.defense.defense_utils import phantoms, stacked, tiny_net

EPS = 8.0
# (method, steps, loss, forward passes: one per step, one scoring pass, one TRADES reference pass)
CASES = [("pgd", 3, "ce", 4), ("fgsm_rs", 5, "ce", 2), ("pgd", 2, "trades_kl", 4), ("fgsm_rs", 1, "trades_kl", 3)]


class Counting(torch.nn.Module):
    def __init__(self, net: torch.nn.Module) -> None:
        super().__init__()
        self.net, self.calls = net, 0

    def forward(self, x):
        self.calls += 1
        return self.net(x)


class TestCraftAdversarial(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        torch.manual_seed(0)
        cls.images, cls.labels = stacked(phantoms(0, 4))

    @parameterized.expand(CASES)
    def test_ball_range_state_and_passes(self, method, steps, loss, passes):
        net = Counting(tiny_net()).train()
        bn = [m for m in net.modules() if isinstance(m, torch.nn.BatchNorm2d)]
        before = [m.running_mean.clone() for m in bn]
        x = craft_adversarial(net, self.images, self.labels, EPS, method, steps, loss=loss, seed=3)
        delta = (x - self.images).abs()
        self.assertLessEqual(delta.max().item(), EPS + 1e-4)
        self.assertGreater(delta.max().item(), 0.5 * EPS)  # it really moved
        self.assertGreaterEqual(x.min().item(), 0.0)
        self.assertLessEqual(x.max().item(), 255.0)
        self.assertFalse(x.requires_grad)
        self.assertEqual(net.calls, passes)
        # eval mode while crafting: BatchNorm statistics untouched, the caller's mode and flags back
        for m, mean in zip(bn, before):
            torch.testing.assert_close(m.running_mean, mean, rtol=0, atol=0)
        self.assertTrue(all(m.training for m in net.modules()))
        self.assertTrue(all(p.requires_grad for p in net.parameters()))

    def test_seeded_random_start(self):
        net = tiny_net().eval()
        a = craft_adversarial(net, self.images, self.labels, EPS, "fgsm_rs", seed=1)
        b = craft_adversarial(net, self.images, self.labels, EPS, "fgsm_rs", seed=1)
        c = craft_adversarial(net, self.images, self.labels, EPS, "fgsm_rs", seed=2)
        torch.testing.assert_close(a, b, rtol=0, atol=0)
        self.assertFalse(torch.equal(a, c))

    def test_zero_eps_is_the_clean_batch(self):
        x = craft_adversarial(tiny_net(), self.images, self.labels, 0.0)
        torch.testing.assert_close(x, self.images, rtol=0, atol=0)

    # (loss, forward passes: the single step, plus the TRADES reference pass; no scoring pass)
    @parameterized.expand([("ce", 1), ("trades_kl", 2)])
    def test_n_fgsm_leaves_the_ball_and_takes_one_step(self, loss, passes):
        net = Counting(tiny_net()).train()
        x = craft_adversarial(net, self.images, self.labels, EPS, "n_fgsm", steps=7, loss=loss, seed=3)
        delta = (x - self.images).abs()
        self.assertLessEqual(delta.max().item(), 3 * EPS + 1e-4)  # noise 2 eps + step eps
        self.assertGreater(delta.max().item(), 2 * EPS)  # no projection on the eps-ball
        self.assertGreaterEqual(x.min().item(), 0.0)
        self.assertLessEqual(x.max().item(), 255.0)
        self.assertFalse(x.requires_grad)
        self.assertEqual(net.calls, passes)
        self.assertTrue(all(m.training for m in net.modules()))

    def test_n_fgsm_is_one_signed_step_from_the_noise(self):
        """``clip(x + eta + alpha sign(grad CE(x + eta)))`` with ``eta ~ U(-k eps, k eps)`` drawn from the seed."""
        net = tiny_net().eval()
        k, ratio = 1.5, 0.75
        x = craft_adversarial(net, self.images, self.labels, EPS, "n_fgsm", step_ratio=ratio, noise_ratio=k, seed=5)
        noise = torch.rand(self.images.shape, generator=generator(5))
        start = torch.clamp(self.images + (2 * noise - 1) * k * EPS, 0, 255).requires_grad_(True)
        loss = F.cross_entropy(net(start), self.labels[:, 0].long(), reduction="sum")
        (grad,) = torch.autograd.grad(loss, start)
        want = torch.clamp(start.detach() + ratio * EPS * grad.sign(), 0, 255)
        torch.testing.assert_close(x, want, rtol=0, atol=0)

    def test_n_fgsm_without_noise_is_an_unprojected_fgsm(self):
        x = craft_adversarial(tiny_net(), self.images, self.labels, EPS, "n_fgsm", noise_ratio=0.0, step_ratio=1.5)
        delta = (x - self.images).abs()
        inside = (self.images >= 1.5 * EPS) & (self.images <= 255 - 1.5 * EPS)
        torch.testing.assert_close(delta[inside], torch.full_like(delta[inside], 1.5 * EPS))

    @parameterized.expand(
        [({"method": "fgsm"},), ({"loss": "kl"},), ({"steps": 0},), ({"step_ratio": -1.0},), ({"noise_ratio": -1.0},)]
    )
    def test_bad_arguments(self, kwargs):
        with self.assertRaises(ValueError):
            craft_adversarial(tiny_net(), self.images, self.labels, EPS, **kwargs)


class TestSeedsAndSteps(unittest.TestCase):
    def test_iteration_seed(self):
        seeds = {iteration_seed(0, it, rank) for it in range(50) for rank in range(2)}
        self.assertEqual(len(seeds), 100)
        self.assertEqual(iteration_seed(0, 3, 1), iteration_seed(0, 3, 1))
        self.assertNotEqual(iteration_seed(0, 3), iteration_seed(1, 3))
        self.assertIsNone(iteration_seed(None, 3))

    def test_default_step_ratio(self):
        self.assertEqual(default_step_ratio("fgsm_rs", 7), 1.25)  # Wong et al.
        self.assertEqual(default_step_ratio("pgd", 5), 0.5)  # Madry et al.: 2.5 eps / k
        self.assertEqual(default_step_ratio("n_fgsm", 5), 1.0)  # de Jorge et al.
        with self.assertRaises(ValueError):
            default_step_ratio("apgd", 5)


if __name__ == "__main__":
    unittest.main()
