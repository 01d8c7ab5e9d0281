"""Properties every attack must have: the eps-ball, the pixel range, the step count, the effect, the model's state."""

from __future__ import annotations

import unittest

import torch
import torch.nn as nn
import torch.nn.functional as F
from parameterized import parameterized

from nlcen_monai.attacks import get_attack, ifgsm, inverse_target, num_steps, pgd, segpgd, targeted_ifgsm, transfer


def tiny_net(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(1, 6, 3, padding=1), nn.BatchNorm2d(6), nn.ReLU(), nn.Conv2d(6, 2, 3, padding=1)
    )


class CountingNet(nn.Module):
    """Counts the forward passes that build a graph (one per gradient step)."""

    def __init__(self, net: nn.Module, fail_at: int | None = None):
        super().__init__()
        self.net = net
        self.grad_calls = 0
        self.fail_at = fail_at

    def forward(self, x):
        if torch.is_grad_enabled() and x.requires_grad:
            self.grad_calls += 1
            if self.fail_at is not None and self.grad_calls >= self.fail_at:
                raise RuntimeError("failing on purpose")
        return self.net(x)


def data(batch: int = 2, size: int = 16, seed: int = 1):
    g = torch.Generator().manual_seed(seed)
    images = torch.randint(0, 256, (batch, 1, size, size), generator=g).float()
    images[0, 0, :4] = 0.0  # pixels at the range limits
    images[-1, 0, -4:] = 255.0
    label = (torch.rand(batch, 1, size, size, generator=g) > 0.5).float()
    return images, label


def source_net() -> nn.Module:
    return tiny_net(seed=7).eval()


# (name, attack function with the (model, images, target, eps) signature, kwargs, targeted, restarts)
ATTACKS = [
    ("targeted_ifgsm", targeted_ifgsm, {}, True, 1),
    ("ifgsm", ifgsm, {}, False, 1),
    ("pgd", pgd, {"seed": 0}, False, 1),
    ("pgd_restarts", pgd, {"seed": 0, "restarts": 2}, False, 2),
    ("pgd_targeted", pgd, {"seed": 0, "targeted": True}, True, 1),
    ("segpgd", segpgd, {"seed": 0}, False, 1),
    ("segpgd_targeted", segpgd, {"seed": 0, "targeted": True}, True, 1),
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
        model = tiny_net()
        model.train()
        model[1].eval()
        model[3].bias.requires_grad_(False)
        model[0].weight.grad = torch.full_like(model[0].weight, 3.0)
        modes = [m.training for m in model.modules()]
        flags = [p.requires_grad for p in model.parameters()]
        running_mean = model[1].running_mean.clone()
        images, label = data()
        run(fn, model, images, label, 2.0, kwargs, targeted)
        self.assertEqual([m.training for m in model.modules()], modes)
        self.assertEqual([p.requires_grad for p in model.parameters()], flags)
        self.assertTrue(torch.equal(model[0].weight.grad, torch.full_like(model[0].weight, 3.0)))
        self.assertTrue(all(p.grad is None for n, p in model.named_parameters() if n != "0.weight"))
        self.assertTrue(torch.equal(model[1].running_mean, running_mean))  # eval mode: BN stats untouched

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
        one = [pgd(model, images, label, 8.0, seed=s, restarts=1) for s in (0, 1)]
        both = pgd(model, images, label, 8.0, seed=0, restarts=2)
        for i in range(3):
            self.assertTrue(any(torch.equal(both[i], o[i]) for o in one))

    def test_pgd_seed_reproducible(self):
        model = tiny_net().eval()
        images, label = data()
        self.assertTrue(torch.equal(pgd(model, images, label, 4.0, seed=3), pgd(model, images, label, 4.0, seed=3)))


class TestTransfer(unittest.TestCase):
    def test_crafted_on_source_only(self):
        evaluated = CountingNet(tiny_net())
        source = source_net()
        images, label = data()
        target = inverse_target(label)
        adv = transfer(evaluated, images, target, 4.0, source_model=source)
        self.assertEqual(evaluated.grad_calls, 0)
        self.assertTrue(torch.equal(adv, targeted_ifgsm(source, images, target, 4.0)))
        attack = get_attack("transfer", source_model=source, base="targeted_ifgsm")
        self.assertTrue(torch.equal(attack(evaluated, images, label, 4.0), adv))
        self.assertEqual(evaluated.grad_calls, 0)
        self.assertEqual(attack.name, "transfer_targeted_ifgsm")

    def test_transfer_needs_source(self):
        with self.assertRaises(ValueError):
            get_attack("transfer")


if __name__ == "__main__":
    unittest.main()
