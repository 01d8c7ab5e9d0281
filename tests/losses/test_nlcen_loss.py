"""Tests for the NLCEN deep-supervision loss (paper Eq. 5)."""

from __future__ import annotations

import unittest

import torch
import torch.nn.functional as F

from nlcen_monai.losses import NLCENLoss
from nlcen_monai.networks.nets import NLCEN


class TestNLCENLoss(unittest.TestCase):
    def test_equals_equation_5(self):
        torch.manual_seed(0)
        outputs = torch.randn(3, 5, 2, 16, 16)
        label = torch.randint(0, 2, (3, 1, 16, 16)).float()
        ce = [F.cross_entropy(outputs[:, i], label[:, 0].long()) for i in range(5)]
        expected = 0.25 * sum(ce[1:]) + 0.25 * ce[0]
        torch.testing.assert_close(NLCENLoss()(outputs, label), expected)
        expected_half = 0.25 * sum(ce[1:]) + 0.5 * ce[0]
        torch.testing.assert_close(NLCENLoss(refined_weight=0.5)(outputs, label), expected_half)

    def test_plain_logits_get_cross_entropy(self):
        logits, label = torch.randn(2, 2, 8, 8), torch.randint(0, 2, (2, 1, 8, 8))
        torch.testing.assert_close(NLCENLoss()(logits, label), F.cross_entropy(logits, label[:, 0]))

    def test_trains_nlcen(self):
        torch.manual_seed(0)
        net = NLCEN(fpn_channels=8, widen_factor=0.125, num_codes=4)
        x = torch.randn(2, 1, 32, 32)
        label = (x[:, :1] > 0).float()
        opt = torch.optim.Adam(net.parameters(), lr=1e-2)
        losses = []
        for _ in range(8):
            opt.zero_grad()
            loss = NLCENLoss()(net(x), label)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        self.assertLess(losses[-1], losses[0])

    def test_rejects_wrong_stack(self):
        with self.assertRaisesRegex(ValueError, "stacked outputs"):
            NLCENLoss()(torch.randn(1, 3, 2, 8, 8), torch.zeros(1, 1, 8, 8))


if __name__ == "__main__":
    unittest.main()
