"""Tests for the U-Net baseline (Ronneberger et al. 2015) with and without NLCE."""

from __future__ import annotations

import tempfile
import unittest
from pathlib import Path

import torch
from monai.networks.nets import BasicUNet
from parameterized import parameterized

from nlcen_monai.networks.blocks import NLCE
from nlcen_monai.networks.nets import UNet

TINY = {"features": (4, 8, 16, 32, 64, 4)}
# (in_channels, nlce, spatial shape)
CASES = [(1, False, (64, 64)), (3, False, (64, 64)), (1, True, (64, 64)), (3, True, (32, 48))]


def count_nlce(net: torch.nn.Module) -> int:
    return sum(isinstance(m, NLCE) for m in net.modules())


class TestUNet(unittest.TestCase):
    @parameterized.expand(CASES)
    def test_forward_backward_shape(self, in_channels, nlce, shape):
        net = UNet(in_channels=in_channels, out_channels=2, nlce=nlce, **TINY)
        x = torch.randn(2, in_channels, *shape, requires_grad=True)
        out = net(x)
        self.assertEqual(out.shape, (2, 2, *shape))
        out[:, 1].sum().backward()
        self.assertGreater(x.grad.abs().sum().item(), 0.0)
        with torch.no_grad():
            self.assertEqual(net.eval()(x).shape, (2, 2, *shape))

    @parameterized.expand([(False, 0), (True, 1)])
    def test_nlce_count_and_place(self, nlce, expected):
        net = UNet(nlce=nlce, **TINY).eval()
        self.assertEqual(count_nlce(net), expected)
        self.assertEqual(isinstance(net.nlce, NLCE), nlce)
        seen = []
        net.nlce.register_forward_hook(lambda m, i, o: seen.append(tuple(i[0].shape)))
        with torch.no_grad():
            net(torch.randn(1, 1, 64, 64))
        self.assertEqual(seen, [(1, 64, 4, 4)])  # the 1/16-resolution, widest level

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
        net = UNet(in_channels=3, nlce=True, **TINY).eval()
        x = torch.randn(2, 3, 64, 64)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "unet.ts"
            torch.jit.save(torch.jit.script(net), str(path))
            loaded = torch.jit.load(str(path))
        with torch.no_grad():
            torch.testing.assert_close(loaded(x), net(x))


if __name__ == "__main__":
    unittest.main()
