"""Tests for the U-Net baseline (Ronneberger et al. 2015) with and without NLCE."""

from __future__ import annotations

import sys
import unittest
from pathlib import Path

import torch
from monai.networks.nets import BasicUNet
from parameterized import parameterized

from nlcen_monai.networks.blocks import NLCE
from nlcen_monai.networks.nets import UNet

sys.path.insert(0, str(Path(__file__).resolve().parent))
from net_checks import (  # noqa: E402
    CASES,
    check_forward_backward_shape,
    check_nlce_count_and_place,
    check_torchscript_round_trip,
)

TINY = {"features": (4, 8, 16, 32, 64, 4)}


class TestUNet(unittest.TestCase):
    @parameterized.expand(CASES)
    def test_forward_backward_shape(self, in_channels, nlce, shape):
        net = UNet(in_channels=in_channels, out_channels=2, nlce=nlce, **TINY)
        check_forward_backward_shape(self, net, in_channels, shape)

    @parameterized.expand([(False, 0), (True, 1)])
    def test_nlce_count_and_place(self, nlce, expected):
        net = UNet(nlce=nlce, **TINY).eval()
        self.assertEqual(isinstance(net.nlce, NLCE), nlce)
        # the 1/16-resolution, widest level
        check_nlce_count_and_place(self, net, expected, [net.nlce], [(1, 64, 4, 4)])

    def test_structure_fixed(self):
        with_nlce = {k for k in UNet(nlce=True, **TINY).state_dict() if not k.startswith("nlce.")}
        self.assertEqual(with_nlce, set(UNet(nlce=False, **TINY).state_dict()))

    def test_paper_widths_and_monai_equivalence(self):
        net = UNet()
        self.assertIsInstance(net, BasicUNet)
        self.assertEqual(net.down_4.convs.conv_0.conv.out_channels, 1024)
        # without NLCE it is exactly MONAI's BasicUNet with the same configuration
        ref = BasicUNet(spatial_dims=2, in_channels=1, out_channels=2, features=TINY["features"], act="relu", norm="batch")
        net = UNet(**TINY)
        net.load_state_dict(ref.state_dict())
        x = torch.randn(1, 1, 32, 32)
        with torch.no_grad():
            torch.testing.assert_close(net.eval()(x), ref.eval()(x))

    def test_torchscript_round_trip(self):
        check_torchscript_round_trip(UNet(in_channels=3, nlce=True, **TINY).eval(), "unet")


if __name__ == "__main__":
    unittest.main()
