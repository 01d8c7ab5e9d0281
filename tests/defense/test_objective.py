"""The adversarial-training objective: mix weights, TRADES' KL, deep-supervision outputs, the training batch,
and what the attack maximises (the crafting loss)."""

from __future__ import annotations

import unittest

import torch
import torch.nn.functional as F
from parameterized import parameterized

from nlcen_monai.defense import (
    AdversarialObjective,
    LinearityPoints,
    final_output,
    linearity_error,
    per_image_cross_entropy,
    split_batch,
    trades_kl,
)
from nlcen_monai.losses import LabelCrossEntropyLoss, NLCENLoss

B, C, H = 2, 2, 8


def logits(seed: int, shape=(B, C, H, H)) -> torch.Tensor:
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed))


LABEL = (torch.rand(B, 1, H, H, generator=torch.Generator().manual_seed(9)) > 0.5).float()


class Counting(torch.nn.Module):
    """The network, counting its forward passes."""

    def __init__(self, net: torch.nn.Module) -> None:
        super().__init__()
        self.net, self.calls = net, 0

    def forward(self, x):
        self.calls += 1
        return self.net(x)


class TestOutputs(unittest.TestCase):
    def test_final_output_of_each_form(self):
        plain, stacked = logits(0), logits(1, (B, 5, C, H, H))
        self.assertIs(final_output(plain, LABEL), plain)
        torch.testing.assert_close(final_output(stacked, LABEL), stacked[:, 0])
        self.assertIs(final_output([plain, stacked[:, 1]], LABEL), plain)

    def test_split_batch_of_each_form(self):
        pred = logits(0, (2 * B, C, H, H))
        first, second = split_batch(pred, B)
        torch.testing.assert_close(torch.cat([first, second]), pred)
        self.assertEqual(first.shape[0], B)
        firsts, seconds = split_batch((pred, pred + 1), B)
        self.assertIsInstance(firsts, tuple)
        torch.testing.assert_close(seconds[1], pred[B:] + 1)


class TestTradesKL(unittest.TestCase):
    def test_zero_on_equal_and_matches_definition(self):
        a, b = logits(0), logits(1)
        self.assertAlmostEqual(trades_kl(a, a).item(), 0.0, places=6)
        p = F.softmax(b, 1)  # KL(softmax(reference) || softmax(logits)), summed over classes
        expected = (p * (F.log_softmax(b, 1) - F.log_softmax(a, 1))).sum(1)
        torch.testing.assert_close(trades_kl(a, b), expected.mean())
        torch.testing.assert_close(trades_kl(a, b, "sum"), expected.sum())
        with self.assertRaises(ValueError):
            trades_kl(a, b[:1])


class TestAdversarialObjective(unittest.TestCase):
    @parameterized.expand([(0.0,), (0.5,), (1.0,)])
    def test_mix_weights(self, w):
        ce = LabelCrossEntropyLoss()
        clean, adv = logits(0), logits(1)
        objective = AdversarialObjective(ce, "mix", clean_weight=w)
        self.assertEqual(objective.needs_clean, w > 0)
        self.assertEqual(objective.needs_adversarial, w < 1)
        expected = w * ce(clean, LABEL) + (1 - w) * ce(adv, LABEL)
        got = objective(clean if w > 0 else None, adv if w < 1 else None, LABEL)
        torch.testing.assert_close(got, expected)

    def test_trades_on_deep_supervision_outputs(self):
        loss = NLCENLoss()
        clean, adv = logits(0, (B, 5, C, H, H)), logits(1, (B, 5, C, H, H))
        objective = AdversarialObjective(loss, "trades", trades_beta=6.0)
        self.assertTrue(objective.needs_clean and objective.needs_adversarial)
        expected = loss(clean, LABEL) + 6.0 * trades_kl(adv[:, 0], clean[:, 0])
        torch.testing.assert_close(objective(clean, adv, LABEL), expected)

    # (objective arguments, what the training forward takes: "clean", "adv" or "clean+adv")
    @parameterized.expand(
        [({"clean_weight": 0.0}, "adv"), ({"clean_weight": 0.5}, "clean+adv"), ({"clean_weight": 1.0}, "clean"),
         ({"objective": "trades"}, "clean+adv")]
    )
    def test_training_batch_and_loss(self, kwargs, layout):
        """The trainer's view: one forward on ``training_inputs``, its prediction split, the same loss as the parts'."""
        objective = AdversarialObjective(NLCENLoss(), **kwargs)
        images, adversarial = logits(2, (B, 1, H, H)), logits(3, (B, 1, H, H))
        parts = {"clean": images, "adv": adversarial}
        want = torch.cat([parts[k] for k in layout.split("+")])
        torch.testing.assert_close(objective.training_inputs(images, adversarial), want, rtol=0, atol=0)
        clean, adv = logits(0, (B, 5, C, H, H)), logits(1, (B, 5, C, H, H))
        preds = {"clean": clean, "adv": adv}
        pred = torch.cat([preds[k] for k in layout.split("+")])
        pred_clean, pred_adv = objective.split_prediction(pred, B)
        self.assertEqual((pred_clean is None, pred_adv is None), ("clean" not in layout, "adv" not in layout))
        expected = objective(clean if "clean" in layout else None, adv if "adv" in layout else None, LABEL)
        torch.testing.assert_close(objective.training_loss(pred, LABEL), expected, rtol=0, atol=0)

    # (objective arguments, the clean/adversarial part of the training forward), ELLE's points after it
    @parameterized.expand([({"clean_weight": 0.0}, "adv"), ({"clean_weight": 0.5}, "clean+adv"), ({"objective": "trades"}, "clean+adv")])
    def test_local_linearity_points_join_the_training_batch(self, kwargs, layout):
        """With ELLE the batch is the objective's own followed by the points a, b, c; the split leaves them out and
        the loss adds ``weight * mean(E)`` of the final outputs' per-image cross entropy."""
        objective = AdversarialObjective(NLCENLoss(), local_linearity_weight=3.0, **kwargs)
        self.assertTrue(objective.local_linearity)
        images, adversarial = logits(2, (B, 1, H, H)), logits(3, (B, 1, H, H))
        alpha = torch.tensor([0.25, 0.75])
        points = LinearityPoints(logits(4, (B, 1, H, H)), logits(5, (B, 1, H, H)), logits(6, (B, 1, H, H)), alpha)
        with self.assertRaises(ValueError):
            objective.training_inputs(images, adversarial)
        parts = {"clean": images, "adv": adversarial}
        want = torch.cat([parts[k] for k in layout.split("+")] + [points.a, points.b, points.c])
        torch.testing.assert_close(objective.training_inputs(images, adversarial, points), want, rtol=0, atol=0)
        preds = {"clean": logits(0, (B, 5, C, H, H)), "adv": logits(1, (B, 5, C, H, H))}
        pred_a, pred_b, pred_c = (logits(s, (B, 5, C, H, H)) for s in (7, 8, 9))
        pred = torch.cat([preds[k] for k in layout.split("+")] + [pred_a, pred_b, pred_c])
        pred_clean, pred_adv = objective.split_prediction(pred, B)
        torch.testing.assert_close(pred_adv, preds["adv"], rtol=0, atol=0)
        main = objective(pred_clean, pred_adv, LABEL)
        error = linearity_error(*(per_image_cross_entropy(p[:, 0], LABEL) for p in (pred_a, pred_b, pred_c)), alpha)
        torch.testing.assert_close(objective.training_loss(pred, LABEL), main + 3.0 * error.mean())
        torch.testing.assert_close(objective.last_local_linearity, error.mean())

    def test_local_linearity_off_by_default(self):
        objective = AdversarialObjective(LabelCrossEntropyLoss())
        self.assertFalse(objective.local_linearity)
        images, adversarial = logits(2, (B, 1, H, H)), logits(3, (B, 1, H, H))
        points = LinearityPoints(images, images, images, torch.zeros(B))
        self.assertIs(objective.training_inputs(images, adversarial, points), adversarial)  # the points are ignored
        measured = AdversarialObjective(LabelCrossEntropyLoss(), local_linearity=True)  # ELLE-A's start: weight 0
        self.assertTrue(measured.local_linearity)
        self.assertEqual(measured.training_inputs(images, adversarial, points).shape[0], 4 * B)

    @parameterized.expand([({"clean_weight": 0.0},), ({"clean_weight": 0.5},)])
    def test_mix_crafts_on_the_summed_cross_entropy(self, kwargs):
        objective = AdversarialObjective(LabelCrossEntropyLoss(), **kwargs)
        net = Counting(torch.nn.Conv2d(1, C, 3, padding=1))
        loss_fn = objective.crafting_loss(net, logits(2, (B, 1, H, H)))(LABEL[:, 0].long(), 3)
        adv = logits(1)
        torch.testing.assert_close(loss_fn(adv, 0), F.cross_entropy(adv, LABEL[:, 0].long(), reduction="sum"))
        self.assertEqual(net.calls, 0)  # the labels are the reference: no pass

    def test_trades_crafts_on_the_kl_to_the_clean_prediction(self):
        """The summed KL against the network's eval-mode prediction on the clean images, computed once, when the
        attack builds its loss; the network's mode and flags are back afterwards."""
        net = Counting(torch.nn.Sequential(torch.nn.Conv2d(1, C, 3, padding=1), torch.nn.BatchNorm2d(C))).train()
        images = logits(2, (B, 1, H, H))
        factory = AdversarialObjective(LabelCrossEntropyLoss(), "trades").crafting_loss(net, images)
        self.assertEqual(net.calls, 0)  # nothing until the attack asks (eps 0 costs no pass)
        loss_fn = factory(LABEL[:, 0].long(), 2)
        self.assertEqual(net.calls, 1)
        self.assertTrue(net.training and all(p.requires_grad for p in net.parameters()))
        net.eval()
        with torch.no_grad():
            reference = net(images)
        adv = logits(1)
        torch.testing.assert_close(loss_fn(adv, 0), trades_kl(adv, reference, "sum"), rtol=0, atol=0)
        torch.testing.assert_close(loss_fn(adv, 1), loss_fn(adv, 0), rtol=0, atol=0)

    @parameterized.expand([({"objective": "madry"},), ({"clean_weight": 1.5},), ({"trades_beta": -1.0},),
                           ({"local_linearity_weight": -1.0},)])
    def test_bad_arguments(self, kwargs):
        with self.assertRaises(ValueError):
            AdversarialObjective(LabelCrossEntropyLoss(), **kwargs)


if __name__ == "__main__":
    unittest.main()
