"""Tests for the shared baseline blocks: EncoderDecoder, CatTwoConv, PyramidPooling."""

from __future__ import annotations

import unittest

import torch
from parameterized import parameterized

from nlcen_monai.networks.blocks.encoder_decoder import EncoderDecoder, nlce_slot
from nlcen_monai.networks.blocks.pyramid_pooling import PyramidPooling

# (features, downsample, skip_connections, spatial_dims, shape)
CASES = [
    ((4, 8, 16), None, True, 2, (16, 24)),
    ((8, 4, 4), (False, False, True), True, 2, (16, 16)),
    ((4, 8, 8), None, False, 3, (8, 8, 8)),
]


class TestEncoderDecoder(unittest.TestCase):
    @parameterized.expand(CASES)
    def test_shapes(self, features, downsample, skip, spatial_dims, shape):
        net = EncoderDecoder(spatial_dims, 2, 3, features, downsample=downsample, skip_connections=skip, nlce=True)
        self.assertEqual(net(torch.randn(2, 2, *shape)).shape, (2, 3, *shape))
        self.assertEqual(net.divisor, 2 ** sum(downsample or (False, True, True)))

    def test_bad_configuration(self):
        with self.assertRaisesRegex(ValueError, "downsample"):
            EncoderDecoder(2, 1, 2, (4, 8), downsample=(True, True))
        with self.assertRaisesRegex(ValueError, "two levels"):
            EncoderDecoder(2, 1, 2, (4,))
        self.assertIsInstance(nlce_slot(2, 4, False), torch.nn.Identity)


class TestPyramidPooling(unittest.TestCase):
    @parameterized.expand([(2, (12, 10)), (3, (6, 6, 7))])
    def test_shape_and_identity_part(self, spatial_dims, shape):
        ppm = PyramidPooling(spatial_dims, 5, 3, pool_scales=(1, 2, 3))
        x = torch.randn(2, 5, *shape)
        out = ppm(x)
        self.assertEqual(out.shape, (2, ppm.out_channels, *shape))
        self.assertEqual(ppm.out_channels, 5 + 3 * 3)
        torch.testing.assert_close(out[:, :5], x)
        # the scale-1 branch is constant over space
        self.assertLess(out[:, 5:8].flatten(2).std(-1).max().item(), 1e-6)


if __name__ == "__main__":
    unittest.main()
