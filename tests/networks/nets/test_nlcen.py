"""Tests for NLCEN: shapes, ablation flags, export round trips."""

from __future__ import annotations

import tempfile
import unittest
from pathlib import Path

import torch
from parameterized import parameterized

from nlcen_monai.networks.blocks import NLCE, ContextEncoding, NonLocalBlock
from nlcen_monai.networks.nets import NLCEN, PixelNormalizedNet

TINY = {"fpn_channels": 8, "widen_factor": 0.125, "num_codes": 4}
# (backbone, in_channels, spatial shape)
SHAPE_CASES = [
    ("resnet18", 1, (64, 64)),
    ("resnet18", 3, (32, 96)),
    ("resnet34", 1, (64, 32)),
    ("resnet50", 3, (64, 64)),
]
# (kwargs, expected NLCE count, non-local count, context count)
ABLATION_CASES = [
    ({}, 4, 4, 4),
    ({"nlce": False}, 0, 0, 0),
    ({"use_nonlocal": False}, 4, 0, 4),
    ({"use_context": False}, 4, 4, 0),
]


def count(model: torch.nn.Module, kind: type) -> int:
    return sum(isinstance(m, kind) for m in model.modules())


class TestNLCEN(unittest.TestCase):
    @parameterized.expand(SHAPE_CASES)
    def test_shapes_train_and_eval(self, backbone, in_channels, shape):
        net = NLCEN(in_channels=in_channels, out_channels=2, backbone=backbone, **TINY)
        x = torch.randn(2, in_channels, *shape)
        net.train()
        self.assertEqual(net(x).shape, (2, 5, 2, *shape))
        net.eval()
        with torch.no_grad():
            self.assertEqual(net(x).shape, (2, 2, *shape))

    def test_stage_widths_and_strides(self):
        for backbone, widths in (("resnet18", [64, 128, 256, 512]), ("resnet50", [256, 512, 1024, 2048])):
            net = NLCEN(backbone=backbone)
            self.assertEqual(net.stage_channels, widths)
        net = NLCEN(**TINY).eval()
        feats = net.encode(torch.randn(1, 1, 64, 64))
        self.assertEqual([f.shape[-1] for f in feats], [16, 8, 4, 2])  # strides 4, 8, 16, 32

    @parameterized.expand(ABLATION_CASES)
    def test_ablation_flags(self, kwargs, n_nlce, n_nonlocal, n_context):
        net = NLCEN(**TINY, **kwargs)
        self.assertEqual(count(net, NLCE), n_nlce)
        self.assertEqual(count(net, NonLocalBlock), n_nonlocal)
        self.assertEqual(count(net, ContextEncoding), n_context)
        # everything else is the same network: the parameter names outside nlce.* agree
        base = {k for k in NLCEN(**TINY, nlce=False).state_dict() if not k.startswith("nlce.")}
        self.assertEqual({k for k in net.state_dict() if not k.startswith("nlce.")}, base)

    def test_refinement_bottlenecks(self):
        net = NLCEN(**TINY)
        self.assertEqual([len(r) if isinstance(r, torch.nn.Sequential) else 0 for r in net.refine], [0, 1, 2, 3])

    def test_rejects_bad_input(self):
        with self.assertRaisesRegex(ValueError, "divisible by 32"):
            NLCEN(**TINY).eval()(torch.randn(1, 1, 48, 64))
        with self.assertRaisesRegex(ValueError, "backbone"):
            NLCEN(backbone="resnet7")

    def test_backward_reaches_input(self):
        net = PixelNormalizedNet(NLCEN(**TINY)).eval()
        x = (torch.rand(1, 1, 64, 64) * 255).requires_grad_()
        net(x)[:, 1].sum().backward()
        self.assertGreater(x.grad.abs().sum().item(), 0.0)

    def test_torchscript_round_trip(self):
        net = PixelNormalizedNet(NLCEN(in_channels=3, **TINY)).eval()
        x = torch.rand(2, 3, 64, 64) * 255
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "nlcen.ts"
            torch.jit.save(torch.jit.script(net), str(path))
            loaded = torch.jit.load(str(path))
        with torch.no_grad():
            torch.testing.assert_close(loaded(x), net(x))

    def test_torch_export_round_trip(self):
        net = NLCEN(**TINY).eval()
        x = torch.randn(1, 1, 64, 64)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "nlcen.pt2"
            torch.export.save(torch.export.export(net, (x,)), str(path))
            loaded = torch.export.load(str(path)).module()
        with torch.no_grad():
            torch.testing.assert_close(loaded(x), net(x))


if __name__ == "__main__":
    unittest.main()
