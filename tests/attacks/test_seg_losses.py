"""Tests for the per-image segmentation losses: each against its definition, in 2-D and 3-D."""

from __future__ import annotations

import math
import unittest

import torch
import torch.nn.functional as F
from parameterized import parameterized

from nlcen_monai.attacks import (
    balanced_cross_entropy,
    class_balance_weights,
    cosine_weighted_cross_entropy,
    js_divergence,
    masked_cross_entropy,
    pixel_cross_entropy,
    resisting_margin,
)

# (spatial shape, number of classes)
SHAPES = [((6, 5), 2), ((4, 3, 5), 3)]


def logits_and_labels(spatial, classes, seed=0):
    g = torch.Generator().manual_seed(seed)
    logits = 3 * torch.randn((2, classes) + spatial, generator=g, dtype=torch.float64)
    return logits, torch.randint(0, classes, (2,) + spatial, generator=g)


def onehot(y, classes):
    return F.one_hot(y, classes).movedim(-1, 1).to(torch.float64)


def per_image(values):
    return values.flatten(1).sum(1)


class TestSegLosses(unittest.TestCase):
    @parameterized.expand(SHAPES)
    def test_js_is_the_divergence_to_the_one_hot(self, spatial, classes):
        logits, y = logits_and_labels(spatial, classes)
        p, q = torch.softmax(logits, 1), onehot(y, classes)
        m = (p + q) / 2
        kl = lambda a: torch.where(a > 0, a * (a.clamp_min(1e-300).log() - m.log()), torch.zeros_like(a))  # noqa: E731
        expected = per_image(((kl(p) + kl(q)) / 2).sum(1))
        self.assertTrue(torch.allclose(js_divergence(logits, y), expected, atol=1e-10))
        n = math.prod(spatial)
        self.assertTrue(torch.all(js_divergence(logits, y) <= n * math.log(2) + 1e-9))
        self.assertTrue(torch.allclose(js_divergence(100 * onehot(y, classes), y), torch.zeros(2, dtype=torch.float64)))

    @parameterized.expand(SHAPES)
    def test_masked_ce_counts_the_resisting_pixels_only(self, spatial, classes):
        logits, y = logits_and_labels(spatial, classes)
        ce = F.cross_entropy(logits, y, reduction="none")
        correct = logits.argmax(1) == y
        self.assertTrue(torch.allclose(masked_cross_entropy(logits, y), per_image(ce * correct)))
        self.assertTrue(torch.allclose(masked_cross_entropy(logits, y, targeted=True), per_image(ce * ~correct)))
        self.assertTrue(torch.allclose(pixel_cross_entropy(logits, y), per_image(ce)))

    @parameterized.expand(SHAPES)
    def test_balanced_ce_weights_each_class_by_the_others_share(self, spatial, classes):
        logits, y = logits_and_labels(spatial, classes)
        ce = F.cross_entropy(logits, y, reduction="none")
        weight = torch.empty(y.shape, dtype=torch.float64)
        for b in range(y.shape[0]):
            for k in range(classes):
                weight[b][y[b] == k] = 1 - float((y[b] == k).sum()) / y[b].numel()
        self.assertTrue(torch.allclose(class_balance_weights(y, classes).double(), weight))
        correct = logits.argmax(1) == y
        self.assertTrue(torch.allclose(balanced_cross_entropy(logits, y), per_image(weight * ce)))
        self.assertTrue(torch.allclose(balanced_cross_entropy(logits, y, masked=True), per_image(weight * ce * correct)))
        self.assertTrue(
            torch.allclose(balanced_cross_entropy(logits, y, targeted=True, masked=True), per_image(weight * ce * ~correct))
        )

    def test_balanced_weights_of_two_classes_sum_to_one(self):
        y = torch.zeros(1, 10, dtype=torch.long)
        y[0, :3] = 1  # 30 % foreground
        weight = class_balance_weights(y, 2)
        self.assertTrue(torch.allclose(weight[0, :3], torch.full((3,), 0.7)))
        self.assertTrue(torch.allclose(weight[0, 3:], torch.full((7,), 0.3)))

    @parameterized.expand(SHAPES)
    def test_cosine_weights(self, spatial, classes):
        logits, y = logits_and_labels(spatial, classes)
        p = torch.softmax(logits, 1)
        cos = torch.gather(p, 1, y.unsqueeze(1)).squeeze(1) / p.norm(dim=1)
        ce = F.cross_entropy(logits, y, reduction="none")
        self.assertTrue(torch.allclose(cosine_weighted_cross_entropy(logits, y), per_image(cos * ce)))
        self.assertTrue(torch.allclose(cosine_weighted_cross_entropy(logits, y, True), per_image((1 - cos) * ce)))
        # the weight is a constant of the step: the gradient is the weighted CE's
        logits.requires_grad_(True)
        (grad,) = torch.autograd.grad(cosine_weighted_cross_entropy(logits, y).sum(), logits)
        (expected,) = torch.autograd.grad((cos.detach() * F.cross_entropy(logits, y, reduction="none")).sum(), logits)
        self.assertTrue(torch.allclose(grad, expected))

    @parameterized.expand(SHAPES)
    def test_resisting_margin(self, spatial, classes):
        logits, y = logits_and_labels(spatial, classes)
        z_y = torch.gather(logits, 1, y.unsqueeze(1)).squeeze(1)
        others = torch.where(onehot(y, classes) > 0, torch.full_like(logits, -1e9), logits).amax(1)
        self.assertTrue(torch.allclose(resisting_margin(logits, y), per_image((z_y - others).clamp_min(0))))
        self.assertTrue(torch.allclose(resisting_margin(logits, y, True), per_image((others - z_y).clamp_min(0))))
        won = 5 * (1 - onehot(y, classes))  # every pixel predicted as another class
        self.assertTrue(torch.equal(resisting_margin(won, y), torch.zeros(2, dtype=torch.float64)))
        self.assertTrue(torch.equal(resisting_margin(-won, y, targeted=True), torch.zeros(2, dtype=torch.float64)))


if __name__ == "__main__":
    unittest.main()
