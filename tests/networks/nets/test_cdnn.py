"""Tests for the CDNN baseline (Yuan 2017): what its paper makes particular (shared checks: test_baselines.py)."""

from __future__ import annotations

import unittest

import torch
from monai.networks.nets.basic_unet import UpCat

from nlcen_monai.networks.nets import CDNN

TINY = {"features": (4, 8, 16, 16, 32)}


class TestCDNN(unittest.TestCase):
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


if __name__ == "__main__":
    unittest.main()
