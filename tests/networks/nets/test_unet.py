"""Tests for the U-Net baseline (Ronneberger et al. 2015): what its paper makes particular (shared checks: test_baselines.py)."""

from __future__ import annotations

import unittest

import torch
from monai.networks.nets import BasicUNet

from nlcen_monai.networks.nets import UNet

TINY = {"features": (4, 8, 16, 32, 64, 4)}


class TestUNet(unittest.TestCase):
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


if __name__ == "__main__":
    unittest.main()
