"""Tests for the CDNN baseline (Yuan 2017) with and without NLCE."""

from __future__ import annotations

import sys
import unittest
from pathlib import Path

import torch
from monai.networks.nets.basic_unet import UpCat
from parameterized import parameterized

from nlcen_monai.networks.nets import CDNN

sys.path.insert(0, str(Path(__file__).resolve().parent))
from net_checks import (  # noqa: E402
    CASES,
    check_forward_backward_shape,
    check_nlce_count_and_place,
    check_torchscript_round_trip,
)

TINY = {"features": (4, 8, 16, 16, 32)}


class TestCDNN(unittest.TestCase):
    @parameterized.expand(CASES)
    def test_forward_backward_shape(self, in_channels, nlce, shape):
        net = CDNN(in_channels=in_channels, out_channels=2, nlce=nlce, **TINY)
        check_forward_backward_shape(self, net, in_channels, shape)

    @parameterized.expand([(False, 0), (True, 1)])
    def test_nlce_count_and_place(self, nlce, expected):
        net = CDNN(nlce=nlce, **TINY).eval()
        check_nlce_count_and_place(self, net, expected, [net.nlce], [(1, 32, 4, 4)])

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
        check_torchscript_round_trip(CDNN(in_channels=3, nlce=True, **TINY).eval(), "cdnn")


if __name__ == "__main__":
    unittest.main()
