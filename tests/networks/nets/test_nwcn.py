"""Tests for the NWCN baseline (Hwang and Park 2017), two atrous sub-networks: what its paper makes particular (shared checks: test_baselines.py)."""

from __future__ import annotations

import unittest

import torch

from nlcen_monai.networks.nets import NWCN

TINY = {"features": (4, 8, 8, 16)}


class TestNWCN(unittest.TestCase):
    def test_refined_gradient_reaches_stage1(self):
        """The refined output's gradient reaches stage 1 through stage 2's input."""
        net = NWCN(in_channels=1, out_channels=2, nlce=True, **TINY)
        net(torch.randn(2, 1, 32, 32))[:, 0, 1].sum().backward()
        self.assertGreater(sum(p.grad.abs().sum().item() for p in net.stage1.parameters() if p.grad is not None), 0)

    def test_stage2_refines_stage1(self):
        net = NWCN(in_channels=3, out_channels=3, **TINY).eval()
        self.assertEqual(net.stage2.encoder[0].conv_0.conv.in_channels, 3 + 3)  # image + probabilities
        rates = [m.conv.dilation for m in net.stage1.context]
        self.assertEqual(rates, [(2, 2), (4, 4), (8, 8)])
        x = torch.randn(2, 3, 32, 32)
        with torch.no_grad():
            coarse = net.stage1(x)
            refined = net.stage2(torch.cat([x, coarse.softmax(1)], 1))
            torch.testing.assert_close(net(x), refined)
            net.train()
            stacked = net(x)
            net.eval()
            torch.testing.assert_close(stacked[:, 1], net.train().stage1(x))


if __name__ == "__main__":
    unittest.main()
