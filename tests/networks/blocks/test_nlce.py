"""Tests for the NLCE module and its parts against naive references."""

from __future__ import annotations

import unittest

import torch
import torch.nn.functional as F
from parameterized import parameterized

from nlcen_monai.networks.blocks import NLCE, ContextEncoding, NonLocalBlock

# (spatial_dims, in_channels, spatial shape, sub_sample)
NONLOCAL_CASES = [
    (2, 8, (6, 5), False),
    (2, 6, (8, 8), True),
    (3, 4, (4, 4, 2), False),
    (1, 4, (9,), False),
]
# (spatial_dims, in_channels, spatial shape, num_codes, code_dim)
CONTEXT_CASES = [(2, 8, (5, 7), 6, 3), (2, 16, (8, 8), 32, None), (3, 4, (3, 3, 2), 4, 2)]
# (norm argument of NonLocalBlock, the normalisation layer it builds after W_z's convolution)
NORM_CASES = [
    ("batch", torch.nn.BatchNorm2d),
    ("instance", torch.nn.InstanceNorm2d),
    (("instance", {"affine": True}), torch.nn.InstanceNorm2d),
    (("group", {"num_groups": 4}), torch.nn.GroupNorm),
]


def naive_nonlocal(block: NonLocalBlock, x: torch.Tensor) -> torch.Tensor:
    """Explicit y = softmax(theta^T phi) g, z = W_z y + x: builds the N x N matrix."""
    theta = block.theta(x).flatten(2)  # (B, C', N)
    phi = block.pool(block.phi(x)).flatten(2)  # (B, C', M)
    g = block.pool(block.g(x)).flatten(2)
    affinity = torch.exp(theta.transpose(1, 2) @ phi)  # f(x_i, x_j), no 1/sqrt(d)
    weights = affinity / affinity.sum(-1, keepdim=True)  # normalised over j
    y = (weights @ g.transpose(1, 2)).transpose(1, 2).reshape(x.shape[0], -1, *x.shape[2:])
    return block.w_z(y) + x


def naive_context(enc: ContextEncoding, x: torch.Tensor) -> torch.Tensor:
    """Eq. 3 literally, with the (B, N, K, D) residual tensor."""
    z = enc.project(x).flatten(2).transpose(1, 2)  # (B, N, D)
    residual = z.unsqueeze(2) - enc.codewords[None, None]  # (B, N, K, D)
    logits = -enc.smoothing.abs() * residual.pow(2).sum(-1)  # (B, N, K); s_k = |smoothing_k| >= 0
    weights = torch.exp(logits) / torch.exp(logits).sum(-1, keepdim=True)
    e_k = (weights.unsqueeze(-1) * residual).sum(1)  # (B, K, D)
    e = F.relu(enc.code_norm(e_k)).sum(1)
    gamma = torch.sigmoid(enc.attention(e))
    return x * gamma.reshape(*gamma.shape, *([1] * (x.dim() - 2)))


class TestNonLocalBlock(unittest.TestCase):
    @parameterized.expand(NONLOCAL_CASES)
    def test_matches_naive_reference(self, spatial_dims, channels, shape, sub_sample):
        torch.manual_seed(0)
        block = NonLocalBlock(spatial_dims, channels, sub_sample=sub_sample).double().eval()
        # a non-trivial W_z so that the attention output is visible in z
        torch.nn.init.normal_(block.w_z[1].weight)
        torch.nn.init.normal_(block.w_z[1].bias)
        x = torch.randn(2, channels, *shape, dtype=torch.float64)
        torch.testing.assert_close(block(x), naive_nonlocal(block, x), rtol=1e-9, atol=1e-9)

    def test_fresh_block_is_identity(self):
        block = NonLocalBlock(2, 8)
        x = torch.randn(3, 8, 7, 6)
        for mode in (block.train, block.eval):
            mode()
            torch.testing.assert_close(block(x), x, rtol=0, atol=0)

    def test_gradients_reach_embeddings_after_one_step(self):
        torch.manual_seed(0)
        block = NonLocalBlock(2, 8)
        opt = torch.optim.SGD(block.parameters(), lr=0.1)
        x, target = torch.randn(2, 8, 6, 6), torch.randn(2, 8, 6, 6)
        for _ in range(2):  # step 1 moves W_z away from zero, step 2 reaches theta/phi/g
            opt.zero_grad()
            F.mse_loss(block(x), target).backward()
            opt.step()
        for name in ("theta", "phi", "g"):
            grad = getattr(block, name).weight.grad
            self.assertIsNotNone(grad, name)
            self.assertGreater(grad.abs().sum().item(), 0.0, name)

    def test_default_inter_channels(self):
        self.assertEqual(NonLocalBlock(2, 64).inter_channels, 32)
        self.assertEqual(NonLocalBlock(2, 1).inter_channels, 1)

    @parameterized.expand(NORM_CASES)
    def test_norm_starts_as_identity_and_trains(self, norm, layer_type):
        torch.manual_seed(0)
        block = NonLocalBlock(2, 8, norm=norm)
        self.assertIsInstance(block.w_z[1], layer_type)
        x = torch.randn(2, 8, 6, 6)
        for mode in (block.train, block.eval):
            mode()
            torch.testing.assert_close(block(x), x, rtol=0, atol=0)
        opt = torch.optim.SGD(block.parameters(), lr=0.1)
        F.mse_loss(block.train()(x), torch.randn_like(x)).backward()
        opt.step()
        self.assertFalse(torch.equal(block.eval()(x), x))  # the normalisation's weight and bias learn

    def test_norm_without_weight_is_refused(self):
        with self.assertRaisesRegex(ValueError, "must be affine"):
            NonLocalBlock(2, 8, norm=("instance", {"affine": False}))


class TestContextEncoding(unittest.TestCase):
    @parameterized.expand(CONTEXT_CASES)
    def test_matches_naive_reference(self, spatial_dims, channels, shape, num_codes, code_dim):
        torch.manual_seed(0)
        enc = ContextEncoding(spatial_dims, channels, num_codes=num_codes, code_dim=code_dim).double()
        x = torch.randn(3, channels, *shape, dtype=torch.float64)
        for mode in (enc.train, enc.eval):
            mode()
            torch.testing.assert_close(enc(x), naive_context(enc, x), rtol=1e-9, atol=1e-9)

    def test_initialisation(self):
        enc = ContextEncoding(2, 300, num_codes=32)
        self.assertEqual(enc.code_dim, 128)  # C // 2 capped at 128
        bound = 1.0 / (32 * 128) ** 0.5
        self.assertLessEqual(enc.codewords.abs().max().item(), bound)
        self.assertGreater(enc.smoothing.min().item(), 0.0)
        self.assertLessEqual(enc.smoothing.max().item(), 1.0)

    def test_smoothing_factors_stay_positive(self):
        torch.manual_seed(0)
        enc = ContextEncoding(2, 8, num_codes=4).eval()
        x = torch.randn(2, 8, 5, 5)
        expected = enc(x)
        with torch.no_grad():
            enc.smoothing.neg_()  # what an optimiser step could do to the raw parameter
        torch.testing.assert_close(enc(x), expected)  # s_k = |smoothing_k|: still favours the nearest codeword

    def test_output_is_channel_rescaling(self):
        enc = ContextEncoding(2, 4, num_codes=3).eval()
        x = torch.rand(2, 4, 5, 5) + 0.1
        ratio = enc(x) / x  # gamma, constant over positions, in (0, 1)
        torch.testing.assert_close(ratio, ratio[..., :1, :1].expand_as(ratio))
        self.assertTrue(bool(((ratio > 0) & (ratio < 1)).all()))


class TestNLCE(unittest.TestCase):
    @parameterized.expand([(True, True), (True, False), (False, True), (False, False)])
    def test_flags_select_parts(self, use_nonlocal, use_context):
        m = NLCE(2, 8, use_nonlocal=use_nonlocal, use_context=use_context)
        self.assertEqual(isinstance(m.nonlocal_block, NonLocalBlock), use_nonlocal)
        self.assertEqual(isinstance(m.context_encoding, ContextEncoding), use_context)
        x = torch.randn(2, 8, 8, 8)
        self.assertEqual(m(x).shape, x.shape)

    def test_composition(self):
        torch.manual_seed(0)
        m = NLCE(2, 8).eval()
        x = torch.randn(2, 8, 6, 6)
        torch.testing.assert_close(m(x), m.context_encoding(m.nonlocal_block(x)))

    def test_torchscript(self):
        m = NLCE(2, 8).eval()
        x = torch.randn(1, 8, 8, 8)
        torch.testing.assert_close(torch.jit.script(m)(x), m(x))


if __name__ == "__main__":
    unittest.main()
