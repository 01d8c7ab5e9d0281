"""CDNN's Jaccard-distance loss (Yuan 2017) is MONAI's DiceLoss as configured by get_loss("cdnn")."""

from __future__ import annotations

import unittest

import torch
from parameterized import parameterized

from nlcen_monai.networks import get_loss

# (batch, spatial shape)
CASES = [(1, (16, 16)), (3, (8, 12)), (2, (4, 6, 5))]


def naive_jaccard_distance(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Yuan's L = 1 - sum(t p) / (sum t^2 + sum p^2 - sum(t p)) per image, averaged over the batch."""
    losses = []
    for b in range(logits.shape[0]):
        p = torch.softmax(logits[b], 0)[1].flatten()  # foreground probability
        t = labels[b, 0].flatten().to(p.dtype)
        tp = (t * p).sum()
        losses.append(1 - tp / ((t * t).sum() + (p * p).sum() - tp))
    return torch.stack(losses).mean()


class TestJaccardDistance(unittest.TestCase):
    @parameterized.expand(CASES)
    def test_against_naive(self, batch, shape):
        logits = torch.randn(batch, 2, *shape, dtype=torch.float64)
        labels = torch.randint(0, 2, (batch, 1, *shape))
        loss = get_loss("cdnn", smooth_nr=0.0, smooth_dr=0.0)(logits, labels)
        torch.testing.assert_close(loss, naive_jaccard_distance(logits, labels))
        # the default smoothing (1e-5) changes the value only negligibly
        torch.testing.assert_close(get_loss("cdnn")(logits, labels), loss, atol=1e-5, rtol=0)

    def test_perfect_and_opposite(self):
        labels = torch.zeros(1, 1, 8, 8, dtype=torch.long)
        labels[..., 2:6, 2:6] = 1
        onehot = torch.cat([1 - labels, labels], 1).double()
        self.assertLess(get_loss("cdnn")(onehot * 50, labels).item(), 1e-6)
        self.assertGreater(get_loss("cdnn")(-onehot * 50, labels).item(), 1 - 1e-6)


if __name__ == "__main__":
    unittest.main()
