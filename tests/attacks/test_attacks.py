"""Properties every attack object must have, each tested once per attack: the eps-ball (N-FGSM: its wider
ball), the pixel range, the passes against ``cost``, the paper's step count, 2-D and 3-D inputs, the model's
state (also on errors), seeding, ``strengthened``, zero eps and empty batches, the direction of the loss, and
the ``loss`` argument."""

from __future__ import annotations

import unittest

import torch
import torch.nn.functional as F
from parameterized import parameterized

from nlcen_monai.attacks import (
    APGD,
    FGSMRS,
    IFGSM,
    NFGSM,
    PGD,
    CosPGD,
    SegPGD,
    Square,
    TargetedIFGSM,
    TransferAttack,
    get_attack,
    inverse_target,
    num_steps,
)

from tests.attacks.attack_checks import CountingNet, check_state_restored, data, tiny_net, unet_3d

#: the paper's budget for the PGD family: steps of 1 grey level, num_steps(eps) of them
PAPER = {"seed": 0, "steps": None}
STEPS, ITERATIONS = ("steps", "restarts"), ("iterations", "restarts")
# (row, the attack, its forward-only passes: "restarts" (one scoring pass per restart), "none" or "all" (Square),
#  whether it runs the paper's budget (num_steps(eps) gradient steps per restart), its reach in eps,
#  whether its loss is the CE to the labels it uses (so that CE moves the right way), the attributes
#  strengthened() doubles)
ATTACKS = [
    ("targeted_ifgsm", TargetedIFGSM(), "none", True, 1.0, True, ()),
    ("ifgsm", IFGSM(), "none", True, 1.0, True, ()),
    ("pgd_paper", PGD(**PAPER), "restarts", True, 1.0, True, STEPS),
    ("pgd_paper_restarts", PGD(**PAPER, restarts=2), "restarts", True, 1.0, True, STEPS),
    ("pgd_paper_targeted", PGD(**PAPER, targeted=True), "restarts", True, 1.0, True, STEPS),
    ("segpgd_paper", SegPGD(**PAPER), "restarts", True, 1.0, True, STEPS),
    ("segpgd_paper_targeted", SegPGD(**PAPER, targeted=True), "restarts", True, 1.0, True, STEPS),
    ("cospgd_paper", CosPGD(**PAPER), "restarts", True, 1.0, True, STEPS),
    ("cospgd_paper_targeted", CosPGD(**PAPER, targeted=True), "restarts", True, 1.0, True, STEPS),
    ("pgd", PGD(steps=3, seed=0), "restarts", False, 1.0, True, STEPS),
    ("pgd_step_ratio", PGD(steps=2, step_ratio=1.25, seed=0), "restarts", False, 1.0, True, STEPS),
    ("segpgd", SegPGD(steps=3, restarts=2, seed=0), "restarts", False, 1.0, False, STEPS),
    ("cospgd", CosPGD(steps=3, seed=0), "restarts", False, 1.0, False, STEPS),
    ("cospgd_targeted", CosPGD(steps=3, seed=0, targeted=True), "restarts", False, 1.0, False, STEPS),
    ("apgd_ce", APGD(iterations=4, seed=0), "restarts", False, 1.0, False, ITERATIONS),
    ("apgd_masked_ce", get_attack("apgd_masked_ce", iterations=4, restarts=2, seed=0), "restarts", False, 1.0, False, ITERATIONS),
    ("apgd_targeted_ce", get_attack("apgd_targeted_ce", iterations=4, seed=0), "restarts", False, 1.0, False, ITERATIONS),
    ("apgd_js", get_attack("apgd_js", iterations=4, seed=0), "restarts", False, 1.0, False, ITERATIONS),
    ("apgd_targeted_masked_ce", APGD(loss="masked_ce", iterations=4, seed=0, targeted=True), "restarts", False, 1.0, False, ITERATIONS),
    ("square", Square(queries=6, seed=0), "all", False, 1.0, False, ("queries",)),
    ("square_targeted", Square(queries=6, seed=0, targeted=True), "all", False, 1.0, False, ("queries",)),
    ("fgsm_rs", FGSMRS(seed=0), "restarts", False, 1.0, True, ("restarts",)),
    ("fgsm_rs_restarts", FGSMRS(seed=0, restarts=2, step_ratio=1.0), "restarts", False, 1.0, True, ("restarts",)),
    ("n_fgsm", NFGSM(seed=0), "none", False, 3.0, True, ()),
]
EPS = [0.5, 4.0, 32.0]
BALL_CASES = [(row[0], row[1], row[2], row[3], row[4], eps) for row in ATTACKS for eps in EPS]
ROWS = [(row[0], row[1]) for row in ATTACKS]
CE_ROWS = [(row[0], row[1]) for row in ATTACKS if row[5]]
STRENGTH_ROWS = [(row[0], row[1], row[6]) for row in ATTACKS]
LOSS_ROWS = [(name, attack) for name, attack in ROWS if attack.accepts_loss]
OWN_LOSS_ROWS = [(name, attack) for name, attack in ROWS if not attack.accepts_loss]


def forward_only(attack, kind: str, eps: float) -> float:
    """The forward-only passes of one call (each restart's scoring pass, none, or all of them)."""
    return {"restarts": getattr(attack, "restarts", 1), "none": 0, "all": attack.cost(eps)}[kind]


def check_adversarial(test: unittest.TestCase, adv: torch.Tensor, images: torch.Tensor, radius: float) -> None:
    test.assertEqual(adv.shape, images.shape)
    test.assertEqual(adv.dtype, images.dtype)
    test.assertFalse(adv.requires_grad)
    test.assertLessEqual((adv - images).abs().max().item(), radius + 1e-4)
    test.assertGreaterEqual(adv.min().item(), 0.0)
    test.assertLessEqual(adv.max().item(), 255.0)
    test.assertGreater((adv != images).float().mean().item(), 0.0)


def cross_entropy(model, images, target) -> float:
    with torch.no_grad():
        return F.cross_entropy(model(images), target[:, 0].long()).item()


def ce_gain(attack, **options) -> float:
    """How much ``attack`` at eps 8 raises the CE to the labels it uses (lowers it, when targeted)."""
    model = tiny_net().eval()
    images, label = data()
    target = inverse_target(label) if attack.targeted else label
    change = cross_entropy(model, attack(model, images, label, 8.0, **options), target) - cross_entropy(model, images, target)
    return -change if attack.targeted else change


class TestAttackProperties(unittest.TestCase):
    @parameterized.expand(BALL_CASES)
    def test_ball_range_and_cost(self, name, attack, scoring, paper, reach, eps):
        model = CountingNet(tiny_net())
        images, label = data()
        adv = attack(model, images, label, eps)
        check_adversarial(self, adv, images, reach * eps)
        self.assertEqual(model.calls, attack.cost(eps))  # every pass of the attacked model, forward-only ones too
        self.assertEqual(model.grad_calls, attack.cost(eps) - forward_only(attack, scoring, eps))
        if paper:
            self.assertEqual(model.grad_calls, num_steps(eps) * getattr(attack, "restarts", 1))

    @parameterized.expand(ROWS)
    def test_3d_unet(self, name, attack):
        model = CountingNet(unet_3d())
        images, label = data(batch=2, size=16, spatial_dims=3)
        adv = attack(model, images, label, 8.0)
        check_adversarial(self, adv, images, 8.0 * (3.0 if isinstance(attack, NFGSM) else 1.0))
        self.assertEqual(model.calls, attack.cost(8.0))

    @parameterized.expand(ROWS)
    def test_model_state_restored(self, name, attack):
        images, label = data()
        check_state_restored(self, lambda model: attack(model, images, label, 4.0))

    @parameterized.expand(ROWS)
    def test_model_state_restored_on_exception(self, name, attack):
        model = CountingNet(tiny_net(), fail_at=min(3, int(attack.cost(4.0))))
        model.train()
        model.net[3].bias.requires_grad_(False)
        images, label = data()
        with self.assertRaisesRegex(RuntimeError, "failing on purpose"):
            attack(model, images, label, 4.0)
        self.assertTrue(all(m.training for m in model.modules()))
        self.assertEqual([p.requires_grad for p in model.parameters()], [True, True, True, True, True, False])
        self.assertTrue(all(p.grad is None for p in model.parameters()))

    @parameterized.expand(ROWS)
    def test_seeded_runs_agree(self, name, attack):
        model = tiny_net().eval()
        images, label = data()
        first, second = (attack(model, images, label, 8.0) for _ in range(2))
        self.assertTrue(torch.equal(first, second))

    @parameterized.expand(STRENGTH_ROWS)
    def test_strengthened_doubles_the_documented_attributes(self, name, attack, attributes):
        before = attack.describe()
        self.assertEqual(tuple(attack.strength_attributes), attributes)
        stronger = attack.strengthened(2)
        for attr in attributes:  # None (the paper's step count) stays None
            value = getattr(attack, attr)
            self.assertEqual(getattr(stronger, attr), None if value is None else 2 * value)
        self.assertEqual(stronger.name, attack.name)
        self.assertEqual(stronger.targeted, attack.targeted)
        if attributes:
            self.assertGreater(stronger.cost(8.0), attack.cost(8.0))
        else:  # a fixed budget: nothing to double
            self.assertEqual(stronger.describe(), before)
        self.assertEqual(attack.describe(), before)  # the original is untouched

    def test_zero_eps_and_empty_batch(self):
        model = CountingNet(tiny_net())
        images, label = data()
        for name, attack in ROWS:
            self.assertTrue(torch.equal(attack(model, images, label, 0.0), images), name)
            self.assertEqual(attack(model, images[:0], label[:0], 4.0).shape[0], 0, name)
        self.assertEqual(model.calls, 0)

    @parameterized.expand(CE_ROWS)
    def test_loss_moves_the_right_way(self, name, attack):
        self.assertGreater(ce_gain(attack), 0.0)

    @parameterized.expand(LOSS_ROWS)
    def test_loss_argument_replaces_its_own(self, name, attack):
        """Given the negated CE to the labels, an attack that ``accepts_loss`` moves the CE the other way."""
        negated = lambda y, n: lambda logits, step: -F.cross_entropy(logits, y, reduction="sum")  # noqa: E731
        self.assertLess(ce_gain(attack, loss=negated), 0.0)

    @parameterized.expand(OWN_LOSS_ROWS)
    def test_loss_argument_refused_by_attacks_with_their_own(self, name, attack):
        images, label = data()
        with self.assertRaisesRegex(ValueError, "takes no loss argument"):
            attack(tiny_net().eval(), images, label, 4.0, loss=lambda y, n: None)

    def test_target_shapes_agree(self):
        model = tiny_net().eval()
        images, label = data()
        self.assertTrue(torch.equal(TargetedIFGSM()(model, images, label, 4.0), TargetedIFGSM()(model, images, label[:, 0], 4.0)))

    def test_bad_target_shape(self):
        images, label = data()
        with self.assertRaises(ValueError):
            TargetedIFGSM()(tiny_net(), images, label[:, :, :8], 1.0)

    def test_restarts_keep_the_worst_case(self):
        model = tiny_net().eval()
        images, label = data(batch=3)
        one = [PGD(steps=5, seed=s)(model, images, label, 8.0) for s in (0, 1)]
        both = PGD(steps=5, seed=0, restarts=2)(model, images, label, 8.0)
        for i in range(3):
            self.assertTrue(any(torch.equal(both[i], o[i]) for o in one))


class TestTransfer(unittest.TestCase):
    def test_crafted_on_source_only(self):
        evaluated = CountingNet(tiny_net())
        source = tiny_net(seed=7).eval()
        images, label = data()
        attack = TransferAttack(source, get_attack("targeted_ifgsm"))
        adv = attack(evaluated, images, label, 4.0)
        self.assertEqual(evaluated.calls, 0)
        self.assertTrue(torch.equal(adv, TargetedIFGSM()(source, images, label, 4.0)))
        self.assertEqual(attack.name, "transfer_targeted_ifgsm")
        self.assertTrue(attack.targeted)

    def test_transfer_needs_source_and_attack(self):
        with self.assertRaises(TypeError):
            get_attack("transfer")


if __name__ == "__main__":
    unittest.main()
