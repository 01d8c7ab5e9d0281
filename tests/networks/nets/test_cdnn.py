"""Tests for the CDNN baseline (Yuan 2017) with and without NLCE."""

from __future__ import annotations

import tempfile
import unittest
from pathlib import Path

import torch
from monai.networks.nets.basic_unet import UpCat
from parameterized import parameterized

from nlcen_monai.networks.blocks import NLCE
from nlcen_monai.networks.nets import CDNN

TINY = {"features": (4, 8, 16, 16, 32)}
CASES = [(1, False, (64, 64)), (3, False, (64, 64)), (1, True, (64, 64)), (3, True, (32, 48))]


class TestCDNN(unittest.TestCase):
    @parameterized.expand(CASES)
    def test_forward_backward_shape(self, in_channels, nlce, shape):
        net = CDNN(in_channels=in_channels, out_channels=2, nlce=nlce, **TINY)
        x = torch.randn(2, in_channels, *shape, requires_grad=True)
        out = net(x)
        self.assertEqual(out.shape, (2, 2, *shape))
        out[:, 1].sum().backward()
        self.assertGreater(x.grad.abs().sum().item(), 0.0)
        with torch.no_grad():
            self.assertEqual(net.eval()(x).shape, (2, 2, *shape))

    @parameterized.expand([(False, 0), (True, 1)])
    def test_nlce_count_and_place(self, nlce, expected):
        net = CDNN(nlce=nlce, **TINY).eval()
        self.assertEqual(sum(isinstance(m, NLCE) for m in net.modules()), expected)
        seen = []
        net.nlce.register_forward_hook(lambda m, i, o: seen.append(tuple(i[0].shape)))
        with torch.no_grad():
            net(torch.randn(1, 1, 64, 64))
        self.assertEqual(seen, [(1, 32, 4, 4)])

    def test_conv_deconv_without_skips(self):
        net = CDNN()
        self.assertEqual(net.divisor, 16)
        self.assertFalse(net.skip_connections)
        ups = [m for m in net.decoder if isinstance(m, UpCat)]
        self.assertEqual(len(ups), 4)
        # each decoder level sees only its up-sampled input (no concatenated encoder features)
        self.assertEqual([u.convs.conv_0.conv.in_channels for u in ups], [256, 128, 64, 32])
        self.assertEqual([u.upsample.deconv.in_channels for u in ups], [512, 256, 128, 64])
        # the decoder's output does not change when an encoder level's features would be skipped
        tiny = CDNN(**TINY).eval()
        hits = []
        for block in tiny.decoder:
            block.register_forward_pre_hook(lambda m, args: hits.append(args[1] is None))
        with torch.no_grad():
            tiny(torch.randn(1, 1, 32, 32))
        self.assertEqual(hits, [True] * 4)

    def test_torchscript_round_trip(self):
        net = CDNN(in_channels=3, nlce=True, **TINY).eval()
        x = torch.randn(2, 3, 64, 64)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "cdnn.ts"
            torch.jit.save(torch.jit.script(net), str(path))
            loaded = torch.jit.load(str(path))
        with torch.no_grad():
            torch.testing.assert_close(loaded(x), net(x))


if __name__ == "__main__":
    unittest.main()
