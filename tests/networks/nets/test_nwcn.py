"""Tests for the NWCN baseline (Hwang and Park 2017): two atrous sub-networks, with and without NLCE."""

from __future__ import annotations

import tempfile
import unittest
from pathlib import Path

import torch
from parameterized import parameterized

from nlcen_monai.networks.blocks import NLCE
from nlcen_monai.networks.nets import NWCN

TINY = {"features": (4, 8, 8, 16)}
CASES = [(1, False, (64, 64)), (3, False, (64, 64)), (1, True, (64, 64)), (3, True, (32, 48))]


class TestNWCN(unittest.TestCase):
    @parameterized.expand(CASES)
    def test_forward_backward_shape(self, in_channels, nlce, shape):
        net = NWCN(in_channels=in_channels, out_channels=2, nlce=nlce, **TINY)
        x = torch.randn(2, in_channels, *shape, requires_grad=True)
        out = net(x)
        self.assertEqual(out.shape, (2, 2, 2, *shape))  # (B, stages, C, H, W), training mode
        out[:, 0, 1].sum().backward()
        self.assertGreater(x.grad.abs().sum().item(), 0.0)
        # the refined output's gradient reaches stage 1 through stage 2's input
        self.assertGreater(sum(p.grad.abs().sum().item() for p in net.stage1.parameters() if p.grad is not None), 0)
        with torch.no_grad():
            self.assertEqual(net.eval()(x).shape, (2, 2, *shape))

    @parameterized.expand([(False, 0), (True, 2)])
    def test_nlce_count_and_place(self, nlce, expected):
        net = NWCN(nlce=nlce, **TINY).eval()
        self.assertEqual(sum(isinstance(m, NLCE) for m in net.modules()), expected)
        self.assertEqual(isinstance(net.stage1.nlce, NLCE), nlce)
        self.assertEqual(isinstance(net.stage2.nlce, NLCE), nlce)
        seen = []
        for stage in (net.stage1, net.stage2):
            stage.nlce.register_forward_hook(lambda m, i, o: seen.append(tuple(i[0].shape)))
        with torch.no_grad():
            net(torch.randn(1, 1, 64, 64))
        self.assertEqual(seen, [(1, 16, 8, 8)] * 2)  # after each atrous block, 1/8 resolution

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
        net = NWCN(in_channels=3, nlce=True, **TINY).eval()
        x = torch.randn(2, 3, 64, 64)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "nwcn.ts"
            torch.jit.save(torch.jit.script(net), str(path))
            loaded = torch.jit.load(str(path))
        with torch.no_grad():
            torch.testing.assert_close(loaded(x), net(x))


if __name__ == "__main__":
    unittest.main()
