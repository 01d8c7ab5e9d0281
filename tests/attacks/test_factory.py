"""Tests for choosing an attack by name and its sweep."""

from __future__ import annotations

import unittest

import torch
import torch.nn as nn
from parameterized import parameterized

from nlcen_monai.attacks import ATTACKS, FGSMRS, PGD, SegmentationAttack, get_attack, inverse_target, sweep
from nlcen_monai.attacks.ifgsm import iterative_fgsm


def tiny_net() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 2, 3, padding=1)).double().eval()


def data():
    g = torch.Generator().manual_seed(0)
    images = (torch.rand(2, 1, 16, 16, generator=g, dtype=torch.float64) * 255).round()
    return images, (torch.rand(2, 1, 16, 16, generator=g) > 0.5).double()


# (name, kwargs, targeted, uses the shared-prefix sweep)
CASES = [
    ("targeted_ifgsm", {}, True, True),
    ("ifgsm", {}, False, True),
    ("targeted_ifgsm", {"steps": 3}, True, False),
    ("pgd", {"seed": 0, "steps": 3}, False, False),
    ("pgd", {"seed": 0, "targeted": True, "steps": None}, True, False),
    ("pgd", {"seed": 0, "steps": 2, "step_ratio": 1.25}, False, False),
    ("fgsm_rs", {"seed": 0}, False, False),
    ("segpgd", {"seed": 0, "restarts": 2, "steps": 3}, False, False),
    ("cospgd", {"seed": 0, "steps": 3}, False, False),
    ("apgd", {"seed": 0, "iterations": 3, "loss": "js"}, False, False),
    ("apgd_targeted_ce", {"seed": 0, "iterations": 3}, True, False),
    ("square", {"seed": 0, "queries": 5}, False, False),
]


class TestFactory(unittest.TestCase):
    @parameterized.expand(CASES)
    def test_get_attack(self, name, kwargs, targeted, sweepable):
        attack = get_attack(name, **kwargs)
        self.assertIsInstance(attack, SegmentationAttack)
        self.assertEqual(attack.targeted, targeted)
        self.assertEqual(attack.sweepable, sweepable)
        net = tiny_net()
        images, label = data()
        swept = attack.sweep(net, images, label, [1, 4])
        for eps in (1, 4):
            self.assertTrue(torch.equal(swept[float(eps)], attack(net, images, label, eps)))

    def test_label_to_target(self):
        """Attack objects take the true labels and build their own target (the algorithm takes the target)."""
        net = tiny_net()
        images, label = data()
        adv = get_attack("targeted_ifgsm")(net, images, label, 4)
        self.assertTrue(torch.equal(adv, iterative_fgsm(net, images, inverse_target(label), 4, targeted=True)))
        custom = get_attack("targeted_ifgsm", target_fn=torch.zeros_like)
        self.assertTrue(torch.equal(custom(net, images, label, 2), iterative_fgsm(net, images, 0 * label, 2, targeted=True)))

    def test_name_builds_its_class(self):
        net = tiny_net()
        images, label = data()
        for attack, same in ((get_attack("pgd", seed=1, steps=4), PGD(seed=1, steps=4)), (get_attack("fgsm_rs", seed=2), FGSMRS(seed=2))):
            self.assertIs(type(attack), type(same))
            self.assertEqual(attack.describe(), same.describe())
            self.assertTrue(torch.equal(attack(net, images, label, 4), same(net, images, label, 4)))

    def test_sweep_is_the_shared_prefix_one(self):
        net = tiny_net()
        images, label = data()
        out = get_attack("targeted_ifgsm", alpha=0.5).sweep(net, images, label, [1, 3], max_batch=2)
        expected = sweep(net, images, inverse_target(label), [1, 3], alpha=0.5, max_batch=2)
        self.assertTrue(all(torch.equal(out[k], expected[k]) for k in expected))

    def test_unknown_name(self):
        with self.assertRaisesRegex(ValueError, "unknown attack 'fgsm'"):
            get_attack("fgsm")
        expected = ["apgd", "apgd_ce", "apgd_js", "apgd_masked_ce", "apgd_targeted_ce", "cospgd", "fgsm_rs", "ifgsm", "pgd"]
        expected += ["segpgd", "square", "targeted_ifgsm", "transfer"]
        self.assertEqual(sorted(ATTACKS), expected)


if __name__ == "__main__":
    unittest.main()
