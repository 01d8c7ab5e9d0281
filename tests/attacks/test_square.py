"""Tests for the Square attack: black-box (no backward pass), its schedule, stripes and windows in 2-D and 3-D."""

from __future__ import annotations

import unittest

import torch
import torch.nn as nn
from parameterized import parameterized

from nlcen_monai.attacks import Square
from nlcen_monai.attacks.square import _random_windows, square, square_fraction
from nlcen_monai.attacks.utils import per_image_dice

from tests.attacks.attack_checks import BlackBoxNet, CountingNet, blobs, data, trained_blob_net, unet_3d

# (p_init, query, queries, expected fraction): the paper's schedule, rescaled to the budget
SCHEDULE_CASES = [
    (0.8, 0, 5000, 0.8),
    (0.8, 5, 5000, 0.8),
    (0.8, 6, 5000, 0.4),
    (0.8, 100, 5000, 0.2),
    (0.8, 101, 5000, 0.1),
    (0.8, 4999, 5000, 0.8 / 512),
    (0.05, 1, 100, 0.05 / 4),
    (0.05, 3, 100, 0.05 / 8),
]
# (spatial shape, side, expected pixels in the window)
WINDOW_CASES = [((16, 16), 5, 25), ((16, 16, 16), 3, 27), ((4, 16), 6, 24), ((8,), 3, 3)]


class TestSquare(unittest.TestCase):
    def test_black_box_reduces_dice(self):
        model = BlackBoxNet(trained_blob_net())
        images, y = blobs(4, seed=1)
        with torch.no_grad():
            clean = per_image_dice(model(images), y).mean().item()
        adv = Square(queries=150, seed=0)(model, images, y.unsqueeze(1), 32.0)
        with torch.no_grad():
            attacked = per_image_dice(model(adv), y).mean().item()
        self.assertLess(attacked, clean - 0.1)
        self.assertLessEqual((adv - images).abs().max().item(), 32.0 + 1e-4)
        self.assertEqual(model.grad_enabled_calls, 0)
        with self.assertRaisesRegex(RuntimeError, "backward called"):  # the model is really black-box
            x = images.clone().requires_grad_(True)
            model(x).sum().backward()

    @parameterized.expand(SCHEDULE_CASES)
    def test_schedule(self, p_init, query, queries, expected):
        self.assertAlmostEqual(square_fraction(p_init, query, queries), expected)

    @parameterized.expand(WINDOW_CASES)
    def test_windows_are_hypercubes(self, spatial, side, expected):
        masks = _random_windows(3, spatial, side, torch.Generator().manual_seed(0), torch.device("cpu"))
        self.assertEqual(tuple(masks.shape), (3, 1) + spatial)
        for mask in masks[:, 0]:
            self.assertEqual(int(mask.sum()), expected)
            extents = [int(idx.max() - idx.min() + 1) for idx in mask.nonzero(as_tuple=True)]
            self.assertEqual(extents, [min(side, s) for s in spatial])

    @parameterized.expand([(2,), (3,)])
    def test_vertical_stripes_start(self, spatial_dims):
        """One query is the stripes alone: +-eps per channel, constant along the first spatial axis."""
        images, label = data(batch=2, size=16, spatial_dims=spatial_dims)
        images = images.clamp(40, 215)  # no clipping at the range limits
        model = unet_3d() if spatial_dims == 3 else nn.Conv2d(1, 2, 3, padding=1).eval()
        delta = square(model, images, label, 8.0, queries=1, seed=0) - images
        self.assertTrue(torch.allclose(delta.abs(), torch.full_like(delta, 8.0), atol=1e-4))
        self.assertTrue(torch.equal(delta, delta[:, :, :1].expand_as(delta)))
        self.assertTrue(((delta > 0).float().mean() - 0.5).abs() < 0.25)

    def test_stops_when_every_pixel_is_won(self):
        """A model that already gets every pixel wrong is queried once (cost is an upper bound)."""
        model = CountingNet(nn.Conv2d(1, 2, 1).eval())
        with torch.no_grad():
            model.net.weight.zero_()
            model.net.bias.copy_(torch.tensor([0.0, 1.0]))  # always class 1
        images, _ = data()
        attack = Square(queries=20, seed=0)
        attack(model, images, torch.zeros(2, 1, 16, 16), 8.0)
        self.assertEqual(model.calls, 1)
        self.assertEqual(attack.cost(8.0), 20.0)

    def test_each_query_changes_the_point(self):
        """A redrawn sign never wastes a query on an unchanged image (the paper's rule)."""
        seen = []

        class Recorder(nn.Module):
            def forward(self, x):
                seen.append(x.clone())
                return torch.stack([x[:, 0] * 0, x[:, 0] * 0 + 1], 1)  # class 1 everywhere

        images, _ = data(batch=2, size=8)
        square(Recorder(), images, torch.ones(2, 8, 8), 4.0, queries=40, p_init=0.05, seed=0)
        self.assertEqual(len(seen), 40)
        # nothing improves on the stripes (seen[0]), so every later query must differ from them in every image
        self.assertTrue(all((x != seen[0]).flatten(1).any(1).all() for x in seen[1:]))


if __name__ == "__main__":
    unittest.main()
