"""Tests for the SLSDeep baseline (Sarker et al. 2018) with and without NLCE."""

from __future__ import annotations

import tempfile
import unittest
from pathlib import Path

import torch
from parameterized import parameterized

from nlcen_monai.networks.blocks import NLCE
from nlcen_monai.networks.nets import SLSDeep

TINY = {"layers": (1, 1, 1, 1), "features": (4, 8, 8, 8), "ppm_channels": 8, "decoder_features": (8, 4)}
CASES = [(1, False, (64, 64)), (3, False, (64, 64)), (1, True, (64, 64)), (3, True, (32, 48))]


class TestSLSDeep(unittest.TestCase):
    @parameterized.expand(CASES)
    def test_forward_backward_shape(self, in_channels, nlce, shape):
        net = SLSDeep(in_channels=in_channels, out_channels=2, nlce=nlce, **TINY)
        x = torch.randn(2, in_channels, *shape, requires_grad=True)
        out = net(x)
        self.assertEqual(out.shape, (2, 2, *shape))
        out[:, 1].sum().backward()
        self.assertGreater(x.grad.abs().sum().item(), 0.0)
        with torch.no_grad():
            self.assertEqual(net.eval()(x).shape, (2, 2, *shape))

    @parameterized.expand([(False, 0), (True, 1)])
    def test_nlce_count_and_place(self, nlce, expected):
        net = SLSDeep(nlce=nlce, **TINY).eval()
        self.assertEqual(sum(isinstance(m, NLCE) for m in net.modules()), expected)
        seen = []
        net.nlce.register_forward_hook(lambda m, i, o: seen.append(tuple(i[0].shape)))
        net.ppm.register_forward_hook(lambda m, i, o: seen.append(tuple(i[0].shape)))
        with torch.no_grad():
            net(torch.randn(1, 1, 64, 64))
        self.assertEqual(seen, [(1, 32, 8, 8)] * 2)  # encoder output (1/8), just before the pyramid pooling

    def test_dilated_resnet50_encoder(self):
        net = SLSDeep()
        self.assertEqual([len(getattr(net.encoder, f"layer{i}")) for i in range(1, 5)], [3, 4, 6, 3])
        layer4 = net.encoder.layer4
        self.assertEqual(layer4[0].conv2.stride, (1, 1))
        self.assertEqual(layer4[0].downsample[0].stride, (1, 1))
        self.assertEqual([b.conv2.dilation for b in net.encoder.layer3], [(1, 1)] + [(2, 2)] * 5)
        self.assertEqual([b.conv2.dilation for b in layer4], [(2, 2), (4, 4), (4, 4)])
        self.assertEqual(net.ppm.out_channels, 2048 + 4 * 512)

    def test_torchscript_round_trip(self):
        net = SLSDeep(in_channels=3, nlce=True, **TINY).eval()
        x = torch.randn(2, 3, 64, 64)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "slsdeep.ts"
            torch.jit.save(torch.jit.script(net), str(path))
            loaded = torch.jit.load(str(path))
        with torch.no_grad():
            torch.testing.assert_close(loaded(x), net(x))


if __name__ == "__main__":
    unittest.main()
