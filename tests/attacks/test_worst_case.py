"""Tests for the worst-case ensemble: per-image minimum, skipping broken images, chaining intensities, 3-D."""

from __future__ import annotations

import unittest

import torch
import torch.nn as nn
from monai.networks.nets import UNet

from nlcen_monai.attacks import APGD, IFGSM, PGD, SegPGD, TargetedIFGSM
from nlcen_monai.attacks.worst_case import WorstCaseAttack, sweep_passes
from nlcen_monai.metrics import per_image_scores

from tests.attacks.attack_checks import FixedOutput, HelpingAttack


def threshold_net() -> nn.Module:
    """Foreground where the 3x3 mean exceeds 128: exact on the blobs below, flipped by eps >= ~12."""
    net = nn.Conv2d(1, 2, 3, padding=1)
    with torch.no_grad():
        net.weight.zero_()
        net.weight[1] = 1 / 90
        net.weight[0] = -1 / 90
        net.bias.copy_(torch.tensor([128 / 10, -128 / 10]))
    return net


def blobs(n: int = 4, size: int = 32):
    g = torch.Generator().manual_seed(0)
    label = torch.zeros(n, 1, size, size)
    for i in range(n):
        label[i, :, 6 + i : 22 + i, 8:24] = 1
    return label * 24 + 116 + torch.randint(-3, 4, (n, 1, size, size), generator=g).float(), label


def members():
    return [TargetedIFGSM(), PGD(alpha=2, steps=6, seed=0), SegPGD(alpha=2, steps=6, seed=1)]


class TestWorstCase(unittest.TestCase):
    def test_worst_is_at_most_every_member_per_image(self):
        net, (images, label) = threshold_net(), blobs()
        result = WorstCaseAttack(members(), skip_broken=False).run(net, images, label, [4, 12])
        for eps in (4.0, 12.0):
            self.assertTrue(torch.all((result.images[eps] - images).abs() <= eps + 1e-4))
            for name, by_eps in result.members.items():
                scores = by_eps[eps]
                self.assertEqual(scores.index.tolist(), [0, 1, 2, 3], name)
                self.assertTrue(torch.all(result.dice[eps] <= scores.dice + 1e-7), name)
            # the stored scores are those of the stored images
            pred = net(result.images[eps]).argmax(1, keepdim=True)
            dice, jac = per_image_scores(pred, label, 2)
            self.assertTrue(torch.allclose(dice, result.dice[eps]) and torch.allclose(jac, result.jaccard[eps]))
            self.assertTrue(set(result.source[eps]) <= {"clean", *[m.name for m in members()]} | {
                f"{m.name}@eps4" for m in members()})
        self.assertLess(float(result.dice[12.0].mean()), float(result.dice[4.0].mean()))

    def test_chained_intensities_never_rise(self):
        net, (images, label) = threshold_net(), blobs()
        result = WorstCaseAttack([PGD(alpha=2, steps=3, seed=0)], skip_broken=False).run(net, images, label, [2, 6, 12])
        for lo, hi in ((2.0, 6.0), (6.0, 12.0)):
            self.assertTrue(torch.all(result.dice[hi] <= result.dice[lo]))
        inherited = [s for s in result.source[12.0] if "@eps" in s]
        self.assertTrue(all(s.startswith("pgd@eps") for s in inherited))

    def test_skipping_broken_images_counts_saved_passes(self):
        net, (images, label) = threshold_net(), blobs()
        cheap, dear = IFGSM(steps=20, alpha=2), PGD(alpha=2, steps=30, seed=0)
        result = WorstCaseAttack([dear, cheap], broken_dice=0.2).run(net, images, label, [16, 24])
        self.assertEqual(result.members["ifgsm"][16.0].index.tolist(), [0, 1, 2, 3])  # cheapest first: everything
        broken = int((result.members["ifgsm"][16.0].dice <= 0.2).sum())
        self.assertGreater(broken, 0)
        pgd_at_16 = result.members["pgd"].get(16.0)
        self.assertEqual(0 if pgd_at_16 is None else len(pgd_at_16.index), 4 - broken)
        self.assertNotIn(24.0, result.members["pgd"])  # broken at 16: broken at 24, nobody attacks again
        total = sum(a.cost(e) * 4 for a in (cheap, dear) for e in (16.0, 24.0))
        self.assertEqual(result.passes_run + result.passes_saved, total)
        self.assertGreater(result.passes_saved, 0)
        # per image and intensity: what each image cost, summing to the passes run
        self.assertEqual(sum(float(result.passes[e].sum()) for e in (16.0, 24.0)), result.passes_run)
        attacked = set() if pgd_at_16 is None else set(pgd_at_16.index.tolist())
        expected = [cheap.cost(16.0) + (dear.cost(16.0) if i in attacked else 0.0) for i in range(4)]
        self.assertEqual(result.passes[16.0].tolist(), expected)
        self.assertEqual(result.members["ifgsm"][16.0].passes.tolist(), [cheap.cost(16.0)] * 4)
        self.assertTrue(torch.all(result.dice[24.0] <= 0.2))

    def test_an_adaptive_member_counts_what_it_spent(self):
        """APGD with ``patience`` on constant logits stops every image after 42 of its 101 passes: the ensemble
        counts 42 per image as run (in total, per image and for the member) and the other 59 as saved."""
        images, label = blobs(3)
        member = APGD(iterations=100, patience=2, seed=0)
        result = WorstCaseAttack([member]).run(FixedOutput(foreground=True), images, label, [8.0])
        self.assertEqual(result.passes[8.0].tolist(), [42.0] * 3)
        self.assertEqual(result.members["apgd_ce"][8.0].passes.tolist(), [42.0] * 3)
        self.assertEqual((result.passes_run, result.passes_saved), (126.0, 3 * 59.0))

    def test_single_attack_keeps_its_own_figure(self):
        """A one-member ensemble from ``single`` gives the attack's own images and Dice, even where they beat the
        clean image; an ensemble with the clean image as a candidate never rises above it."""
        net = threshold_net()
        images, label = blobs(4)
        images = (images - 14.0).clamp(0, 255)  # foreground near the threshold: the clean prediction is imperfect
        helping = HelpingAttack()
        clean = per_image_scores(net(images).argmax(1, keepdim=True), label, 2)[0]
        own = per_image_scores(net(helping(net, images, label, 16.0)).argmax(1, keepdim=True), label, 2)[0]
        self.assertTrue(bool((own > clean + 0.05).all()))
        single = WorstCaseAttack.single(helping)
        self.assertEqual((single.name, single.chain_epsilons, single.include_clean), ("helping", False, False))
        result = single.run(net, images, label, [8.0, 16.0])
        torch.testing.assert_close(result.dice[16.0], own)
        self.assertEqual(result.source[16.0], ["helping"] * 4)
        self.assertEqual(result.passes[16.0].tolist(), [1.0] * 4)
        torch.testing.assert_close(WorstCaseAttack([helping]).run(net, images, label, [16.0]).dice[16.0], clean)
        self.assertIs(WorstCaseAttack.single(single), single)
        with self.assertRaisesRegex(ValueError, "named like the ensemble"):
            WorstCaseAttack([helping, PGD(name="helping2")], name="helping")

    def test_sweep_passes_share_out_the_sweep(self):
        attack = TargetedIFGSM()
        shares = sweep_passes(attack, [16, 0, 2])
        self.assertEqual(shares, {2.0: 3.0, 16.0: 18.0})  # eps 2: its 3 steps; eps 16: the 18 more it adds to the sweep
        self.assertEqual(sum(shares.values()), attack.sweep_cost([2, 16]))
        pgd = PGD(steps=5)
        self.assertEqual(sweep_passes(pgd, [2, 16]), {2.0: pgd.cost(2), 16.0: pgd.cost(16)})
        net, (images, label) = threshold_net(), blobs()
        result = WorstCaseAttack([attack], skip_broken=False).run(net, images, label, [2, 16])
        self.assertEqual(result.passes[16.0].tolist(), [18.0] * 4)
        self.assertEqual(sum(float(p.sum()) for p in result.passes.values()), result.passes_run)

    def test_initial_candidates(self):
        net, (images, label) = threshold_net(), blobs()
        first = WorstCaseAttack(members()).run(net, images, label, [8])
        again = WorstCaseAttack([PGD(alpha=2, steps=2, seed=5)]).run(net, images, label, [8], initial=first.images[8.0])
        self.assertTrue(torch.all(again.dice[8.0] <= first.dice[8.0]))
        self.assertTrue(set(again.source[8.0]) <= {"initial", "pgd"})
        with self.assertRaisesRegex(ValueError, "ball"):
            WorstCaseAttack(members()).run(net, images, label, [1], initial=first.images[8.0])

    def test_members_that_accept_a_start_begin_from_the_previous_intensity(self):
        """An APGD member starts its first restart from the worst images of the smaller intensity (``start`` at
        the first one), the same point for every member; ``initial`` is a candidate, not a start."""
        net, (images, label) = threshold_net(), blobs()
        calls = []

        class Recording(PGD):
            accepts_start = True

            def perturb(self, model, x, y, eps, start=None):
                calls.append((self.name, eps, None if start is None else start.clone()))
                return super().perturb(model, x, y, eps)

        ensemble = WorstCaseAttack([Recording(alpha=2, steps=4, seed=0, name="a"), Recording(alpha=2, steps=4, seed=1, name="b"),
                                    SegPGD(alpha=2, steps=4, seed=2)], skip_broken=False)
        result = ensemble.run(net, images, label, [4, 16])
        starts = {(name, eps): start for name, eps, start in calls}
        self.assertIsNone(starts[("a", 4.0)])  # the first intensity starts as the attack says
        torch.testing.assert_close(starts[("a", 16.0)], result.images[4.0])
        torch.testing.assert_close(starts[("b", 16.0)], result.images[4.0])  # not a's eps-16 images
        calls.clear()
        ensemble.run(net, images, label, [16], initial=result.images[4.0])  # a candidate only
        self.assertIsNone(calls[0][2])
        calls.clear()
        ensemble.run(net, images, label, [16], start=result.images[4.0])
        torch.testing.assert_close(calls[0][2], result.images[4.0])

    def test_strengthened_and_names(self):
        ensemble = WorstCaseAttack(members())
        stronger = ensemble.strengthened(2)
        self.assertEqual([(a.steps, a.restarts) for a in stronger.attacks[1:]], [(12, 2), (12, 2)])
        self.assertEqual([(a.steps, a.restarts) for a in ensemble.attacks[1:]], [(6, 1), (6, 1)])
        self.assertEqual(ensemble.cost(8), sum(a.cost(8) for a in members()))
        with self.assertRaisesRegex(ValueError, "distinct names"):
            WorstCaseAttack([PGD(), PGD()])
        with self.assertRaisesRegex(ValueError, "at least one"):
            WorstCaseAttack([])

    def test_three_dimensional_unet(self):
        torch.manual_seed(0)
        net = UNet(spatial_dims=3, in_channels=1, out_channels=2, channels=(4, 8), strides=(2,), num_res_units=0).eval()
        images = torch.rand(2, 1, 16, 16, 16) * 255
        label = (torch.rand(2, 1, 16, 16, 16) > 0.5).float()
        result = WorstCaseAttack([TargetedIFGSM(), PGD(steps=2, alpha=2, seed=0)]).run(net, images, label, [2, 4])
        for eps in (2.0, 4.0):
            self.assertEqual(result.images[eps].shape, images.shape)
            self.assertEqual(result.pred[eps].shape, (2, 1, 16, 16, 16))
            self.assertTrue(torch.all((result.images[eps] - images).abs() <= eps + 1e-4))
            self.assertTrue(torch.all((result.images[eps] >= 0) & (result.images[eps] <= 255)))


if __name__ == "__main__":
    unittest.main()
