"""Shared scaffolding of the attack tests: tiny networks, pass counters, synthetic blobs and a small trained model."""

from __future__ import annotations

import functools

import torch
import torch.nn as nn
import torch.nn.functional as F
from monai.networks.nets import UNet

from nlcen_monai.attacks.base import SegmentationAttack


def tiny_net(seed: int = 0) -> nn.Module:
    """An untrained 2-D conv net with BatchNorm, (B, 1, H, W) -> (B, 2, H, W)."""
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(1, 6, 3, padding=1), nn.BatchNorm2d(6), nn.ReLU(), nn.Conv2d(6, 2, 3, padding=1))


def unet_3d(seed: int = 0) -> nn.Module:
    """A tiny MONAI 3-D UNet, (B, 1, 16, 16, 16) -> (B, 2, 16, 16, 16)."""
    torch.manual_seed(seed)
    return UNet(spatial_dims=3, in_channels=1, out_channels=2, channels=(4, 8), strides=(2,)).eval()


def data(batch: int = 2, size: int = 16, seed: int = 1, spatial_dims: int = 2):
    """Random [0, 255] images with pixels at both range limits, and random binary labels (B, 1, *spatial)."""
    g = torch.Generator().manual_seed(seed)
    shape = (batch, 1) + (size,) * spatial_dims
    images = torch.randint(0, 256, shape, generator=g).float()
    images[0, 0, :4] = 0.0
    images[-1, 0, -4:] = 255.0
    label = (torch.rand(shape, generator=g) > 0.5).float()
    return images, label


class CountingNet(nn.Module):
    """Counts forward passes: all of them, those that build a graph (one per gradient step), and the images seen.

    Args:
        net: the wrapped network.
        fail_at: raise on this forward pass (1-based, any kind), to test the state restored on errors.
    """

    def __init__(self, net: nn.Module, fail_at: int | None = None):
        super().__init__()
        self.net = net
        self.calls = 0
        self.grad_calls = 0
        self.images = 0
        self.fail_at = fail_at

    def forward(self, x):
        self.calls += 1
        self.images += x.shape[0]
        if torch.is_grad_enabled() and x.requires_grad:
            self.grad_calls += 1
        if self.fail_at is not None and self.calls >= self.fail_at:
            raise RuntimeError("failing on purpose")
        return self.net(x)


class FixedOutput(nn.Module):
    """Logits that do not depend on the image (zero gradient): predicts ``foreground`` everywhere or nowhere."""

    def __init__(self, foreground: bool):
        super().__init__()
        self.foreground = foreground

    def forward(self, x):
        logits = torch.zeros(x.shape[0], 2, *x.shape[2:], dtype=x.dtype)
        logits[:, 1 if self.foreground else 0] = 1.0
        return logits + 0.0 * x


class HelpingAttack(SegmentationAttack):
    """Moves every pixel eps towards its true class: the prediction gets better, as a weak attack's sometimes does."""

    name = "helping"

    def cost(self, eps):
        return 1.0

    def perturb(self, model, images, y, eps):
        return (images + eps * (2 * y.unsqueeze(1).float() - 1)).clamp(0, 255)


class _NoBackward(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError("backward called on a black-box model")


class BlackBoxNet(nn.Module):
    """A network whose backward pass raises, and which records whether it ever ran with autograd on."""

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net
        self.grad_enabled_calls = 0

    def forward(self, x):
        if torch.is_grad_enabled():
            self.grad_enabled_calls += 1
        return self.net(_NoBackward.apply(x))


def blobs(n: int, size: int = 24, seed: int = 0):
    """Grey discs (intensity +60) on a noisy background (100 +- 15): images (n, 1, size, size), labels (n, size, size)."""
    g = torch.Generator().manual_seed(seed)
    yy, xx = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    centre = torch.rand(n, 2, generator=g) * (size - 10) + 5
    radius = torch.rand(n, generator=g) * 4 + 3
    dist2 = (yy - centre[:, 0, None, None]) ** 2 + (xx - centre[:, 1, None, None]) ** 2
    label = (dist2 <= radius[:, None, None] ** 2).long()
    images = 100 + 60 * label.float() + 15 * torch.randn(n, size, size, generator=g)
    return images.clamp(0, 255).unsqueeze(1), label


class _Normalise(nn.Module):
    def forward(self, x):
        return (x - 128) / 64


@functools.lru_cache(maxsize=1)
def _trained_state() -> dict:
    # one thread: these convolutions are too small to gain from more, and on a shared machine
    # more threads make the few seconds of training a minute
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        torch.manual_seed(0)
        net = _blob_net()
        images, label = blobs(48)
        opt = torch.optim.Adam(net.parameters(), 1e-2)
        for _ in range(120):
            opt.zero_grad()
            F.cross_entropy(net(images), label).backward()
            opt.step()
    finally:
        torch.set_num_threads(threads)
    return {k: v.clone() for k, v in net.state_dict().items()}


def _blob_net() -> nn.Module:
    return nn.Sequential(
        _Normalise(),
        nn.Conv2d(1, 8, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(8, 8, 3, padding=2, dilation=2),
        nn.ReLU(),
        nn.Conv2d(8, 2, 1),
    )


def trained_blob_net() -> nn.Module:
    """A small conv net trained for a few seconds on :func:`blobs` (seeded; trained once per process)."""
    net = _blob_net()
    net.load_state_dict(_trained_state())
    return net.eval()


def check_state_restored(test, run) -> None:
    """``run(model)`` attacks a :func:`tiny_net` in a mixed state; its modes, flags, grads and BN stats come back."""
    model = tiny_net()
    model.train()
    model[1].eval()
    model[3].bias.requires_grad_(False)
    model[0].weight.grad = torch.full_like(model[0].weight, 3.0)
    modes = [m.training for m in model.modules()]
    flags = [p.requires_grad for p in model.parameters()]
    running_mean = model[1].running_mean.clone()
    run(model)
    test.assertEqual([m.training for m in model.modules()], modes)
    test.assertEqual([p.requires_grad for p in model.parameters()], flags)
    test.assertTrue(torch.equal(model[0].weight.grad, torch.full_like(model[0].weight, 3.0)))
    test.assertTrue(all(p.grad is None for n, p in model.named_parameters() if n != "0.weight"))
    test.assertTrue(torch.equal(model[1].running_mean, running_mean))  # eval mode: BN stats untouched
