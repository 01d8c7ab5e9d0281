"""Tests for match_channels / MatchChanneld: grey <-> RGB with BT.601 luma, RGBA loses its alpha."""

from __future__ import annotations

import pytest
import torch

from nlcen_monai.data import MatchChanneld, match_channels


@pytest.mark.parametrize(
    "channels, wanted, expected",
    [(1, 1, 1), (3, 1, 1), (4, 1, 1), (1, 3, 3), (3, 3, 3), (4, 3, 3)],
)
def test_match_channels_shapes(channels, wanted, expected):
    image = torch.rand(channels, 5, 6) * 255
    assert match_channels(image, wanted).shape == (expected, 5, 6)


def test_match_channels_values():
    rgb = torch.stack([torch.full((2, 2), 100.0), torch.full((2, 2), 200.0), torch.full((2, 2), 50.0)])
    grey = match_channels(rgb, 1)
    torch.testing.assert_close(grey, torch.full((1, 2, 2), 0.299 * 100 + 0.587 * 200 + 0.114 * 50))
    torch.testing.assert_close(match_channels(grey, 3)[2], grey[0])
    assert MatchChanneld("image", 3)({"image": torch.zeros(1, 4, 4)})["image"].shape == (3, 4, 4)
    with pytest.raises(ValueError, match="2 channels"):
        match_channels(torch.zeros(2, 3, 3), 1)
