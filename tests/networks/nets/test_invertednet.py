"""Tests for the InvertedNet baseline (Novikov et al. 2018) with and without NLCE."""

from __future__ import annotations

import sys
import unittest
from pathlib import Path

import torch
from parameterized import parameterized

from nlcen_monai.networks.nets import InvertedNet, UNet

sys.path.insert(0, str(Path(__file__).resolve().parent))
from net_checks import (  # noqa: E402
    CASES,
    check_forward_backward_shape,
    check_nlce_count_and_place,
    check_torchscript_round_trip,
)

TINY = {"features": (16, 8, 8, 4, 4)}


def count_params(net: torch.nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


class TestInvertedNet(unittest.TestCase):
    @parameterized.expand(CASES)
    def test_forward_backward_shape(self, in_channels, nlce, shape):
        net = InvertedNet(in_channels=in_channels, out_channels=2, nlce=nlce, **TINY)
        check_forward_backward_shape(self, net, in_channels, shape)

    @parameterized.expand([(False, 0), (True, 1)])
    def test_nlce_count_and_place(self, nlce, expected):
        net = InvertedNet(nlce=nlce, **TINY).eval()
        # deepest level: fewest features, 1/8 resolution
        check_nlce_count_and_place(self, net, expected, [net.nlce], [(1, 4, 8, 8)])

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
        check_torchscript_round_trip(InvertedNet(in_channels=3, nlce=True, **TINY).eval(), "invertednet")


if __name__ == "__main__":
    unittest.main()
