"""Tests for the NWCN baseline (Hwang and Park 2017): two atrous sub-networks, with and without NLCE."""

from __future__ import annotations

import sys
import unittest
from pathlib import Path

import torch
from parameterized import parameterized

from nlcen_monai.networks.blocks import NLCE
from nlcen_monai.networks.nets import NWCN

sys.path.insert(0, str(Path(__file__).resolve().parent))
from net_checks import (  # noqa: E402
    CASES,
    check_forward_backward_shape,
    check_nlce_count_and_place,
    check_torchscript_round_trip,
)

TINY = {"features": (4, 8, 8, 16)}


class TestNWCN(unittest.TestCase):
    @parameterized.expand(CASES)
    def test_forward_backward_shape(self, in_channels, nlce, shape):
        net = NWCN(in_channels=in_channels, out_channels=2, nlce=nlce, **TINY)
        # (B, stages, C, H, W) in training mode; the refined output's class 1 is backpropagated
        check_forward_backward_shape(self, net, in_channels, shape, train_shape=(2, 2, 2, *shape),
                                     select=lambda out: out[:, 0, 1])
        # the refined output's gradient reaches stage 1 through stage 2's input
        self.assertGreater(sum(p.grad.abs().sum().item() for p in net.stage1.parameters() if p.grad is not None), 0)

    @parameterized.expand([(False, 0), (True, 2)])
    def test_nlce_count_and_place(self, nlce, expected):
        net = NWCN(nlce=nlce, **TINY).eval()
        self.assertEqual(isinstance(net.stage1.nlce, NLCE), nlce)
        self.assertEqual(isinstance(net.stage2.nlce, NLCE), nlce)
        # after each atrous block, 1/8 resolution
        check_nlce_count_and_place(self, net, expected, [net.stage1.nlce, net.stage2.nlce], [(1, 16, 8, 8)] * 2)

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

    def test_torchscript_round_trip(self):
        check_torchscript_round_trip(NWCN(in_channels=3, nlce=True, **TINY).eval(), "nwcn")


if __name__ == "__main__":
    unittest.main()
