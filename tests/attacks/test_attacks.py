"""Properties every attack must have: the eps-ball, the pixel range, the step count, the effect, the model's state."""

from __future__ import annotations

import unittest

import torch
import torch.nn.functional as F
from parameterized import parameterized

from nlcen_monai.attacks import (
    TransferAttack,
    cospgd,
    get_attack,
    ifgsm,
    inverse_target,
    num_steps,
    pgd,
    segpgd,
    targeted_ifgsm,
)

from tests.attacks.attack_checks import CountingNet, check_state_restored, data, tiny_net


def source_net():
    return tiny_net(seed=7).eval()


# (name, attack function with the (model, images, target, eps) signature, kwargs, targeted, restarts);
# the PGD family with the paper's budget (steps=None: 1 grey level, num_steps(eps) steps)
PAPER = {"seed": 0, "steps": None}
ATTACKS = [
    ("targeted_ifgsm", targeted_ifgsm, {}, True, 1),
    ("ifgsm", ifgsm, {}, False, 1),
    ("pgd", pgd, PAPER, False, 1),
    ("pgd_restarts", pgd, {**PAPER, "restarts": 2}, False, 2),
    ("pgd_targeted", pgd, {**PAPER, "targeted": True}, True, 1),
    ("segpgd", segpgd, PAPER, False, 1),
    ("segpgd_targeted", segpgd, {**PAPER, "targeted": True}, True, 1),
    ("cospgd", cospgd, PAPER, False, 1),
    ("cospgd_targeted", cospgd, {**PAPER, "targeted": True}, True, 1),
]
EPS = [0.5, 4.0, 32.0]
CASES = [(name, fn, kw, tg, r, eps) for name, fn, kw, tg, r in ATTACKS for eps in EPS]


def run(fn, model, images, label, eps, kwargs, targeted):
    target = inverse_target(label) if targeted else label
    return fn(model, images, target, eps, **kwargs)


class TestAttackProperties(unittest.TestCase):
    @parameterized.expand(CASES)
    def test_ball_range_and_steps(self, name, fn, kwargs, targeted, restarts, eps):
        model = CountingNet(tiny_net())
        images, label = data()
        adv = run(fn, model, images, label, eps, kwargs, targeted)
        self.assertEqual(adv.shape, images.shape)
        self.assertEqual(adv.dtype, images.dtype)
        self.assertLessEqual((adv - images).abs().max().item(), eps + 1e-4)
        self.assertGreaterEqual(adv.min().item(), 0.0)
        self.assertLessEqual(adv.max().item(), 255.0)
        self.assertEqual(model.grad_calls, num_steps(eps) * restarts)
        self.assertGreater((adv != images).float().mean().item(), 0.0)

    @parameterized.expand(ATTACKS)
    def test_loss_moves_the_right_way(self, name, fn, kwargs, targeted, restarts):
        model = tiny_net().eval()
        images, label = data()
        target = (inverse_target(label) if targeted else label)[:, 0].long()
        adv = run(fn, model, images, label, 8.0, kwargs, targeted)
        with torch.no_grad():
            before = F.cross_entropy(model(images), target).item()
            after = F.cross_entropy(model(adv), target).item()
        if targeted:
            self.assertLess(after, before)
        else:
            self.assertGreater(after, before)

    @parameterized.expand(ATTACKS)
    def test_model_state_restored(self, name, fn, kwargs, targeted, restarts):
        images, label = data()
        check_state_restored(self, lambda model: run(fn, model, images, label, 2.0, kwargs, targeted))

    @parameterized.expand(ATTACKS)
    def test_model_state_restored_on_exception(self, name, fn, kwargs, targeted, restarts):
        model = CountingNet(tiny_net(), fail_at=2)
        model.train()
        images, label = data()
        with self.assertRaises(RuntimeError):
            run(fn, model, images, label, 4.0, kwargs, targeted)
        self.assertTrue(all(m.training for m in model.modules()))
        self.assertTrue(all(p.requires_grad and p.grad is None for p in model.parameters()))

    def test_target_shapes_agree(self):
        model = tiny_net().eval()
        images, label = data()
        a = targeted_ifgsm(model, images, inverse_target(label), 4.0)
        b = targeted_ifgsm(model, images, inverse_target(label)[:, 0], 4.0)
        self.assertTrue(torch.equal(a, b))

    def test_bad_target_shape(self):
        images, label = data()
        with self.assertRaises(ValueError):
            targeted_ifgsm(tiny_net(), images, label[:, :, :8], 1.0)

    def test_restarts_keep_the_worst_case(self):
        model = tiny_net().eval()
        images, label = data(batch=3)
        one = [pgd(model, images, label, 8.0, steps=5, seed=s, restarts=1) for s in (0, 1)]
        both = pgd(model, images, label, 8.0, steps=5, seed=0, restarts=2)
        for i in range(3):
            self.assertTrue(any(torch.equal(both[i], o[i]) for o in one))

    def test_pgd_seed_reproducible(self):
        model = tiny_net().eval()
        images, label = data()
        first, second = (pgd(model, images, label, 4.0, steps=5, seed=3) for _ in range(2))
        self.assertTrue(torch.equal(first, second))


class TestTransfer(unittest.TestCase):
    def test_crafted_on_source_only(self):
        evaluated = CountingNet(tiny_net())
        source = source_net()
        images, label = data()
        attack = TransferAttack(source, get_attack("targeted_ifgsm"))
        adv = attack(evaluated, images, label, 4.0)
        self.assertEqual(evaluated.calls, 0)
        self.assertTrue(torch.equal(adv, targeted_ifgsm(source, images, inverse_target(label), 4.0)))
        self.assertEqual(attack.name, "transfer_targeted_ifgsm")
        self.assertTrue(attack.targeted)

    def test_transfer_needs_source_and_attack(self):
        with self.assertRaises(TypeError):
            get_attack("transfer")


if __name__ == "__main__":
    unittest.main()
