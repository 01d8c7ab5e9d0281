"""Tests for StackedDeepSupervisionLoss (NWCN's loss: cross entropy on each stage)."""

from __future__ import annotations

import unittest

import torch
import torch.nn.functional as F
from parameterized import parameterized

from nlcen_monai.losses import LabelCrossEntropyLoss, StackedDeepSupervisionLoss

# (weight_mode, weights, expected per-output weights)
CASES = [("same", None, [1.0, 1.0]), ("exp", None, [1.0, 0.5]), ("same", [0.7, 0.3], [0.7, 0.3])]


class TestStackedDeepSupervisionLoss(unittest.TestCase):
    @parameterized.expand(CASES)
    def test_against_naive(self, weight_mode, weights, expected):
        logits = torch.randn(3, 2, 2, 8, 8)  # (B, stages, C, H, W), final stage first
        labels = torch.randint(0, 2, (3, 1, 8, 8))
        loss = StackedDeepSupervisionLoss(LabelCrossEntropyLoss(), weight_mode=weight_mode, weights=weights)
        naive = sum(w * F.cross_entropy(logits[:, s], labels[:, 0]) for s, w in enumerate(expected))
        torch.testing.assert_close(loss(logits, labels), naive)
        # a list of outputs and a plain (eval-mode) tensor are accepted as well
        torch.testing.assert_close(loss(list(logits.unbind(1)), labels), naive)
        torch.testing.assert_close(loss(logits[:, 0], labels), F.cross_entropy(logits[:, 0], labels[:, 0]))


if __name__ == "__main__":
    unittest.main()
