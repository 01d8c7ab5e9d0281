"""Tests for the SLSDeep baseline (Sarker et al. 2018): what its paper makes particular (shared checks: test_baselines.py)."""

from __future__ import annotations

import unittest


from nlcen_monai.networks.nets import SLSDeep


class TestSLSDeep(unittest.TestCase):
    def test_dilated_resnet50_encoder(self):
        net = SLSDeep()
        self.assertEqual([len(getattr(net.encoder, f"layer{i}")) for i in range(1, 5)], [3, 4, 6, 3])
        layer4 = net.encoder.layer4
        self.assertEqual(layer4[0].conv2.stride, (1, 1))
        self.assertEqual(layer4[0].downsample[0].stride, (1, 1))
        self.assertEqual([b.conv2.dilation for b in net.encoder.layer3], [(1, 1)] + [(2, 2)] * 5)
        self.assertEqual([b.conv2.dilation for b in layer4], [(2, 2), (4, 4), (4, 4)])
        self.assertEqual(net.ppm.out_channels, 2048 + 4 * 512)


if __name__ == "__main__":
    unittest.main()
