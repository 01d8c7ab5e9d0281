"""Tests for SLSDeep's NLL + EPE loss against a naive per-pixel reference."""

from __future__ import annotations

import unittest

import torch
import torch.nn.functional as F
from parameterized import parameterized

from nlcen_monai.losses import NLLEPELoss, sobel_gradients

# (classes, spatial shape, epe_weight)
CASES = [(2, (12, 10), 0.5), (3, (9, 11), 1.0), (2, (6, 5, 7), 0.5)]


def naive_sobel_2d(img: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Sobel of a (H, W) image with replicate borders, normalised so a unit ramp has gradient 1."""
    h, w = img.shape
    p = F.pad(img[None, None], (1, 1, 1, 1), mode="replicate")[0, 0]
    gy = torch.zeros(h, w, dtype=img.dtype)
    gx = torch.zeros(h, w, dtype=img.dtype)
    for i in range(h):
        for j in range(w):
            win = p[i : i + 3, j : j + 3]
            gy[i, j] = ((win[2] - win[0]) * torch.tensor([1.0, 2.0, 1.0], dtype=img.dtype)).sum() / 8
            gx[i, j] = ((win[:, 2] - win[:, 0]) * torch.tensor([1.0, 2.0, 1.0], dtype=img.dtype)).sum() / 8
    return gy, gx


class TestNLLEPELoss(unittest.TestCase):
    def test_sobel_matches_naive_2d(self):
        img = torch.rand(7, 9, dtype=torch.float64)
        grads = sobel_gradients(img[None, None])[0, 0]
        gy, gx = naive_sobel_2d(img)
        torch.testing.assert_close(grads[0], gy)
        torch.testing.assert_close(grads[1], gx)
        ramp = torch.arange(8, dtype=torch.float64).repeat(8, 1)  # slope 1 along the last axis
        torch.testing.assert_close(sobel_gradients(ramp[None, None])[0, 0, 1, :, 1:-1], torch.ones(8, 6, dtype=torch.float64))

    @parameterized.expand(CASES)
    def test_against_naive(self, classes, shape, epe_weight):
        torch.manual_seed(0)
        logits = torch.randn(2, classes, *shape, dtype=torch.float64)
        labels = torch.randint(0, classes, (2, 1, *shape))
        loss = NLLEPELoss(epe_weight=epe_weight)(logits, labels)
        logp = torch.log_softmax(logits, 1)
        nll = -logp.gather(1, labels).mean()
        probs, onehot = logp.exp(), F.one_hot(labels[:, 0], classes).movedim(-1, 1).to(logits.dtype)
        sq = torch.zeros(2, *shape, dtype=logits.dtype)  # squared end-point error per pixel
        for b in range(2):
            for c in range(1, classes):  # foreground classes only
                if len(shape) == 2:
                    pg, tg = naive_sobel_2d(probs[b, c]), naive_sobel_2d(onehot[b, c])
                else:  # 3-D: the (2-D-verified) separable filter, per image and class
                    pg = sobel_gradients(probs[b : b + 1, c : c + 1])[0, 0]
                    tg = sobel_gradients(onehot[b : b + 1, c : c + 1])[0, 0]
                sq[b] += sum((p - t) ** 2 for p, t in zip(pg, tg))
        epe = torch.sqrt(sq + 1e-6).mean()
        torch.testing.assert_close(loss, nll + epe_weight * epe)

    def test_perfect_prediction_and_gradient(self):
        labels = torch.zeros(1, 1, 16, 16, dtype=torch.long)
        labels[..., 4:12, 4:12] = 1
        perfect = torch.cat([1 - labels, labels], 1).double() * 40 - 20
        self.assertLess(NLLEPELoss()(perfect, labels).item(), 1e-3)
        logits = torch.zeros(1, 2, 16, 16, requires_grad=True)
        NLLEPELoss(epe_weight=1.0).end_point_error(logits, labels).backward()
        self.assertGreater(logits.grad.abs().sum().item(), 0.0)  # the EPE term itself trains the network

    def test_rejects_bad_target(self):
        with self.assertRaisesRegex(ValueError, "target"):
            NLLEPELoss()(torch.randn(1, 2, 8, 8), torch.zeros(1, 8, 8))


if __name__ == "__main__":
    unittest.main()
