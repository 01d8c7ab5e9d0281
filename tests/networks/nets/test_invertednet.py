"""Tests for the InvertedNet baseline (Novikov et al. 2018) with and without NLCE."""

from __future__ import annotations

import tempfile
import unittest
from pathlib import Path

import torch
from parameterized import parameterized

from nlcen_monai.networks.blocks import NLCE
from nlcen_monai.networks.nets import InvertedNet, UNet

TINY = {"features": (16, 8, 8, 4, 4)}
CASES = [(1, False, (64, 64)), (3, False, (64, 64)), (1, True, (64, 64)), (3, True, (32, 48))]


def count_params(net: torch.nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


class TestInvertedNet(unittest.TestCase):
    @parameterized.expand(CASES)
    def test_forward_backward_shape(self, in_channels, nlce, shape):
        net = InvertedNet(in_channels=in_channels, out_channels=2, nlce=nlce, **TINY)
        x = torch.randn(2, in_channels, *shape, requires_grad=True)
        out = net(x)
        self.assertEqual(out.shape, (2, 2, *shape))
        out[:, 1].sum().backward()
        self.assertGreater(x.grad.abs().sum().item(), 0.0)
        with torch.no_grad():
            self.assertEqual(net.eval()(x).shape, (2, 2, *shape))

    @parameterized.expand([(False, 0), (True, 1)])
    def test_nlce_count_and_place(self, nlce, expected):
        net = InvertedNet(nlce=nlce, **TINY).eval()
        self.assertEqual(sum(isinstance(m, NLCE) for m in net.modules()), expected)
        seen = []
        net.nlce.register_forward_hook(lambda m, i, o: seen.append(tuple(i[0].shape)))
        with torch.no_grad():
            net(torch.randn(1, 1, 64, 64))
        self.assertEqual(seen, [(1, 4, 8, 8)])  # deepest level: fewest features, 1/8 resolution

    def test_delayed_subsampling_and_inverted_widths(self):
        net = InvertedNet()
        widths = [(getattr(block, "convs", block)).conv_1.conv.out_channels for block in net.encoder]
        self.assertEqual(widths, [256, 128, 64, 32, 16])  # decreasing with depth
        pooled = [hasattr(block, "max_pooling") for block in net.encoder]
        self.assertEqual(pooled, [False, False, True, True, True])  # first pooling delayed by a level
        self.assertEqual(net.divisor, 8)

    def test_fewer_parameters_than_unet(self):
        self.assertLess(count_params(InvertedNet()), count_params(UNet()))
        self.assertLess(count_params(InvertedNet(nlce=True)), count_params(UNet(nlce=True)))

    def test_torchscript_round_trip(self):
        net = InvertedNet(in_channels=3, nlce=True, **TINY).eval()
        x = torch.randn(2, 3, 64, 64)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "invertednet.ts"
            torch.jit.save(torch.jit.script(net), str(path))
            loaded = torch.jit.load(str(path))
        with torch.no_grad():
            torch.testing.assert_close(loaded(x), net(x))


if __name__ == "__main__":
    unittest.main()
