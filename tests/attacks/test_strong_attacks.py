"""Properties of the attack objects with their own budgets (PGD family, APGD, Square): the eps-ball, the
pixel range, 2-D and 3-D inputs, the model's state, the cost against the passes made, and strengthened()."""

from __future__ import annotations

import unittest

import torch
from parameterized import parameterized

from nlcen_monai.attacks import get_attack

from tests.attacks.attack_checks import CountingNet, check_state_restored, data, tiny_net, unet_3d

# (registry name, small-budget kwargs, the attributes strengthened() doubles)
ATTACKS = [
    ("pgd", {"steps": 3, "seed": 0}, ("steps", "restarts")),
    ("segpgd", {"steps": 3, "restarts": 2, "seed": 0}, ("steps", "restarts")),
    ("cospgd", {"steps": 3, "seed": 0}, ("steps", "restarts")),
    ("cospgd", {"steps": 3, "seed": 0, "targeted": True}, ("steps", "restarts")),
    ("apgd_ce", {"iterations": 4, "seed": 0}, ("iterations", "restarts")),
    ("apgd_masked_ce", {"iterations": 4, "restarts": 2, "seed": 0}, ("iterations", "restarts")),
    ("apgd_targeted_ce", {"iterations": 4, "seed": 0}, ("iterations", "restarts")),
    ("apgd_js", {"iterations": 4, "seed": 0}, ("iterations", "restarts")),
    ("apgd", {"iterations": 4, "seed": 0, "loss": "masked_ce", "targeted": True}, ("iterations", "restarts")),
    ("square", {"queries": 6, "seed": 0}, ("queries",)),
    ("square", {"queries": 6, "seed": 0, "targeted": True}, ("queries",)),
]
EPS = [4.0, 32.0]
BALL_CASES = [(name, kwargs, eps) for name, kwargs, _ in ATTACKS for eps in EPS]
NAME_CASES = [(name, kwargs) for name, kwargs, _ in ATTACKS]


def check_adversarial(test: unittest.TestCase, adv: torch.Tensor, images: torch.Tensor, eps: float) -> None:
    test.assertEqual(adv.shape, images.shape)
    test.assertEqual(adv.dtype, images.dtype)
    test.assertFalse(adv.requires_grad)
    test.assertLessEqual((adv - images).abs().max().item(), eps + 1e-4)
    test.assertGreaterEqual(adv.min().item(), 0.0)
    test.assertLessEqual(adv.max().item(), 255.0)
    test.assertGreater((adv != images).float().mean().item(), 0.0)


class TestStrongAttacks(unittest.TestCase):
    @parameterized.expand(BALL_CASES)
    def test_ball_range_and_cost(self, name, kwargs, eps):
        model = CountingNet(tiny_net())
        images, label = data()
        attack = get_attack(name, **kwargs)
        adv = attack(model, images, label, eps)
        check_adversarial(self, adv, images, eps)
        self.assertEqual(model.calls, attack.cost(eps))  # every pass of the attacked model, forward-only ones too
        if name == "square":
            self.assertEqual(model.grad_calls, 0)
        else:  # one pass per restart is forward-only
            self.assertEqual(model.grad_calls, attack.cost(eps) - attack.restarts)

    @parameterized.expand(NAME_CASES)
    def test_3d_unet(self, name, kwargs):
        model = CountingNet(unet_3d())
        images, label = data(batch=2, size=16, spatial_dims=3)
        attack = get_attack(name, **kwargs)
        adv = attack(model, images, label, 8.0)
        check_adversarial(self, adv, images, 8.0)
        self.assertEqual(model.calls, attack.cost(8.0))

    @parameterized.expand(NAME_CASES)
    def test_model_state_restored(self, name, kwargs):
        images, label = data()
        check_state_restored(self, lambda model: get_attack(name, **kwargs)(model, images, label, 4.0))

    @parameterized.expand(NAME_CASES)
    def test_model_state_restored_on_exception(self, name, kwargs):
        model = CountingNet(tiny_net(), fail_at=3)
        model.train()
        model.net[3].bias.requires_grad_(False)
        images, label = data()
        with self.assertRaisesRegex(RuntimeError, "failing on purpose"):
            get_attack(name, **kwargs)(model, images, label, 4.0)
        self.assertTrue(all(m.training for m in model.modules()))
        self.assertEqual([p.requires_grad for p in model.parameters()], [True, True, True, True, True, False])
        self.assertTrue(all(p.grad is None for p in model.parameters()))

    @parameterized.expand(NAME_CASES)
    def test_seeded_runs_agree(self, name, kwargs):
        model = tiny_net().eval()
        images, label = data()
        first, second = (get_attack(name, **kwargs)(model, images, label, 8.0) for _ in range(2))
        self.assertTrue(torch.equal(first, second))

    @parameterized.expand(ATTACKS)
    def test_strengthened_doubles_the_documented_attributes(self, name, kwargs, attributes):
        attack = get_attack(name, **kwargs)
        self.assertEqual(tuple(attack.strength_attributes), attributes)
        stronger = attack.strengthened(2)
        for attr in attributes:
            self.assertEqual(getattr(stronger, attr), 2 * getattr(attack, attr))
        self.assertEqual(stronger.name, attack.name)
        self.assertEqual(stronger.targeted, attack.targeted)
        self.assertGreater(stronger.cost(8.0), attack.cost(8.0))
        self.assertEqual(get_attack(name, **kwargs).describe(), attack.describe())  # the original is untouched

    def test_zero_eps_and_empty_batch(self):
        model = CountingNet(tiny_net())
        images, label = data()
        for name, kwargs, _ in ATTACKS:
            self.assertTrue(torch.equal(get_attack(name, **kwargs)(model, images, label, 0.0), images))
            self.assertEqual(get_attack(name, **kwargs)(model, images[:0], label[:0], 4.0).shape[0], 0)
        self.assertEqual(model.calls, 0)


if __name__ == "__main__":
    unittest.main()
