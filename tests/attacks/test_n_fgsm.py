"""What is particular to N-FGSM: one signed step from strong seeded noise, no projection on the eps-ball."""

from __future__ import annotations

import unittest

import torch
import torch.nn.functional as F
from parameterized import parameterized

from nlcen_monai.attacks import ATTACKS, NFGSM
from nlcen_monai.attacks.utils import generator

from tests.attacks.attack_checks import CountingNet, data, tiny_net

EPS = 8.0


class TestNFGSM(unittest.TestCase):
    def test_one_signed_step_from_the_noise(self):
        """``clip(x + eta + alpha sign(grad CE(x + eta)))`` with ``eta ~ U(-k eps, k eps)`` drawn from the seed."""
        net = tiny_net().eval()
        images, label = data()
        k, ratio = 1.5, 0.75
        x = NFGSM(step_ratio=ratio, noise_ratio=k, seed=5)(net, images, label, EPS)
        noise = torch.rand(images.shape, generator=generator(5))
        start = torch.clamp(images + (2 * noise - 1) * k * EPS, 0, 255).requires_grad_(True)
        (grad,) = torch.autograd.grad(F.cross_entropy(net(start), label[:, 0].long(), reduction="sum"), start)
        want = torch.clamp(start.detach() + ratio * EPS * grad.sign(), 0, 255)
        torch.testing.assert_close(x, want, rtol=0, atol=0)

    def test_leaves_the_ball_in_one_pass(self):
        model = CountingNet(tiny_net())
        images, label = data()
        x = NFGSM(seed=3)(model, images, label, EPS)
        delta = (x - images).abs()
        self.assertLessEqual(delta.max().item(), 3 * EPS + 1e-4)  # noise 2 eps + step eps
        self.assertGreater(delta.max().item(), 2 * EPS)  # no projection on the eps-ball
        self.assertEqual((model.calls, model.grad_calls), (1, 1))

    def test_without_noise_an_unprojected_fgsm(self):
        images, label = data()
        x = NFGSM(noise_ratio=0.0, step_ratio=1.5)(tiny_net().eval(), images, label, EPS)
        delta = (x - images).abs()
        inside = (images >= 1.5 * EPS) & (images <= 255 - 1.5 * EPS)
        torch.testing.assert_close(delta[inside], torch.full_like(delta[inside], 1.5 * EPS))

    def test_de_jorge_defaults_and_not_an_evaluation_attack(self):
        attack = NFGSM()
        self.assertEqual((attack.step_ratio, attack.noise_ratio, attack.name), (1.0, 2.0, "n_fgsm"))
        self.assertNotIn(NFGSM, ATTACKS.values())  # its images leave the eps-ball

    @parameterized.expand([({"step_ratio": 0.0},), ({"noise_ratio": -1.0},)])
    def test_bad_arguments(self, kwargs):
        with self.assertRaises(ValueError):
            NFGSM(**kwargs)


if __name__ == "__main__":
    unittest.main()
