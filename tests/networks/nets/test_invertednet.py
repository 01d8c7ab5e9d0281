"""Tests for the InvertedNet baseline (Novikov et al. 2018): what its paper makes particular (shared checks: test_baselines.py)."""

from __future__ import annotations

import unittest

import torch

from nlcen_monai.networks.nets import InvertedNet, UNet


def count_params(net: torch.nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


class TestInvertedNet(unittest.TestCase):
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


if __name__ == "__main__":
    unittest.main()
