"""What is particular to FGSM with random start: one signed step of 1.25 eps from a seeded uniform start,
projected on the eps-ball and [0, 255]."""

from __future__ import annotations

import unittest

import torch
import torch.nn.functional as F

from nlcen_monai.attacks import FGSMRS
from nlcen_monai.attacks.utils import generator

from tests.attacks.attack_checks import data, tiny_net

EPS = 8.0


class TestFGSMRS(unittest.TestCase):
    def test_one_projected_step_from_the_seeded_start(self):
        """``clip_ball(x + eta + r eps sign(grad CE(x + eta)))`` with ``eta ~ U(-eps, eps)`` drawn from the seed."""
        net = tiny_net().eval()
        images, label = data()
        ratio = 0.75
        x = FGSMRS(step_ratio=ratio, seed=5)(net, images, label, EPS)
        noise = torch.rand(images.shape, generator=generator(5))
        start = torch.clamp(images + (2 * noise - 1) * EPS, 0, 255).requires_grad_(True)
        (grad,) = torch.autograd.grad(F.cross_entropy(net(start), label[:, 0].long(), reduction="sum"), start)
        want = torch.clamp(start.detach() + ratio * EPS * grad.sign(), images - EPS, images + EPS).clamp(0, 255)
        torch.testing.assert_close(x, want, rtol=0, atol=0)

    def test_wong_step_and_one_step(self):
        attack = FGSMRS()
        self.assertEqual((attack.step_ratio, attack.steps, attack.restarts, attack.random_start), (1.25, 1, 1, True))
        self.assertEqual(attack.name, "fgsm_rs")
        self.assertEqual(attack.cost(EPS), 2.0)  # the step and the scoring pass
        self.assertEqual(FGSMRS(targeted=True).name, "fgsm_rs_targeted")

    def test_seeded_random_start(self):
        net = tiny_net().eval()
        images, label = data()
        a, b, c = (FGSMRS(seed=s)(net, images, label, EPS) for s in (1, 1, 2))
        torch.testing.assert_close(a, b, rtol=0, atol=0)
        self.assertFalse(torch.equal(a, c))

    def test_bad_step(self):
        with self.assertRaises(ValueError):
            FGSMRS(step_ratio=0.0)


if __name__ == "__main__":
    unittest.main()
