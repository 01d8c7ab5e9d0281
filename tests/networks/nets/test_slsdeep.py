"""Tests for the SLSDeep baseline (Sarker et al. 2018) with and without NLCE."""

from __future__ import annotations

import sys
import unittest
from pathlib import Path

from parameterized import parameterized

from nlcen_monai.networks.nets import SLSDeep

sys.path.insert(0, str(Path(__file__).resolve().parent))
from net_checks import (  # noqa: E402
    CASES,
    check_forward_backward_shape,
    check_nlce_count_and_place,
    check_torchscript_round_trip,
)

TINY = {"layers": (1, 1, 1, 1), "features": (4, 8, 8, 8), "ppm_channels": 8, "decoder_features": (8, 4)}


class TestSLSDeep(unittest.TestCase):
    @parameterized.expand(CASES)
    def test_forward_backward_shape(self, in_channels, nlce, shape):
        net = SLSDeep(in_channels=in_channels, out_channels=2, nlce=nlce, **TINY)
        check_forward_backward_shape(self, net, in_channels, shape)

    @parameterized.expand([(False, 0), (True, 1)])
    def test_nlce_count_and_place(self, nlce, expected):
        net = SLSDeep(nlce=nlce, **TINY).eval()
        # encoder output (1/8), just before the pyramid pooling
        check_nlce_count_and_place(self, net, expected, [net.nlce, net.ppm], [(1, 32, 8, 8)] * 2)

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
        check_torchscript_round_trip(SLSDeep(in_channels=3, nlce=True, **TINY).eval(), "slsdeep")


if __name__ == "__main__":
    unittest.main()
