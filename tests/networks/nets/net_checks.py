"""Checks shared by the baseline network tests (U-Net, InvertedNet, NWCN, CDNN, SLSDeep).

Not a test module: each ``test_<net>.py`` imports it (after putting this folder on ``sys.path``,
as pytest runs with ``--import-mode=importlib``) and calls these functions from its own test
methods, with the network and its tiny configuration. The checks are the common scaffolding:
forward/backward and output shapes (``CASES``), NLCE counting and placement, and a TorchScript
save/load round trip. Each network's paper-specific checks stay in its own test file.
"""

from __future__ import annotations

import tempfile
import unittest
from collections.abc import Callable, Sequence
from pathlib import Path

import torch

from nlcen_monai.networks.blocks import NLCE

# (in_channels, nlce, spatial shape)
CASES = [(1, False, (64, 64)), (3, False, (64, 64)), (1, True, (64, 64)), (3, True, (32, 48))]


def count_nlce(net: torch.nn.Module) -> int:
    """The number of NLCE modules in ``net``."""
    return sum(isinstance(m, NLCE) for m in net.modules())


def check_forward_backward_shape(
    tc: unittest.TestCase,
    net: torch.nn.Module,
    in_channels: int,
    shape: tuple[int, ...],
    train_shape: tuple[int, ...] | None = None,
    select: Callable[[torch.Tensor], torch.Tensor] = lambda out: out[:, 1],
) -> None:
    """Training-mode forward of a batch of 2 (output shape ``train_shape``, default ``(2, 2, *shape)``),
    backward of ``select(out).sum()`` reaching the input, then an eval-mode output of ``(2, 2, *shape)``.
    ``net`` is in training mode, with 2 output channels."""
    x = torch.randn(2, in_channels, *shape, requires_grad=True)
    out = net(x)
    tc.assertEqual(out.shape, train_shape if train_shape is not None else (2, 2, *shape))
    select(out).sum().backward()
    tc.assertGreater(x.grad.abs().sum().item(), 0.0)
    with torch.no_grad():
        tc.assertEqual(net.eval()(x).shape, (2, 2, *shape))


def check_nlce_count_and_place(
    tc: unittest.TestCase,
    net: torch.nn.Module,
    expected: int,
    hooked: Sequence[torch.nn.Module],
    seen_shapes: list[tuple[int, ...]],
) -> None:
    """``net`` (in eval mode) holds ``expected`` NLCE modules, and a 1 x 1 x 64 x 64 forward feeds the
    modules ``hooked`` inputs of exactly ``seen_shapes`` (in the order they run)."""
    tc.assertEqual(count_nlce(net), expected)
    seen = []
    for module in hooked:
        module.register_forward_hook(lambda m, i, o: seen.append(tuple(i[0].shape)))
    with torch.no_grad():
        net(torch.randn(1, 1, 64, 64))
    tc.assertEqual(seen, seen_shapes)


def check_torchscript_round_trip(net: torch.nn.Module, name: str) -> None:
    """``net`` (3 input channels, eval mode) scripted, saved as ``<name>.ts``, loaded back, and giving
    the same output as ``net`` on a 2 x 3 x 64 x 64 batch."""
    x = torch.randn(2, 3, 64, 64)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{name}.ts"
        torch.jit.save(torch.jit.script(net), str(path))
        loaded = torch.jit.load(str(path))
    with torch.no_grad():
        torch.testing.assert_close(loaded(x), net(x))
