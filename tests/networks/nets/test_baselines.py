"""The checks every baseline shares (U-Net, InvertedNet, NWCN, CDNN, SLSDeep), each network a case.

Forward/backward and output shapes with and without NLCE, NLCE count and placement, and a TorchScript
round trip. What is particular to a network's paper stays in its own ``test_<net>.py``.
"""

from __future__ import annotations

import tempfile
import unittest
from pathlib import Path

import torch
from parameterized import parameterized

from nlcen_monai.networks.blocks import NLCE
from nlcen_monai.networks.nets import CDNN, NWCN, SLSDeep, UNet, InvertedNet

TINY = {
    "unet": {"features": (4, 8, 16, 32, 64, 4)},
    "invertednet": {"features": (16, 8, 8, 4, 4)},
    "nwcn": {"features": (4, 8, 8, 16)},
    "cdnn": {"features": (4, 8, 16, 16, 32)},
    "slsdeep": {"layers": (1, 1, 1, 1), "features": (4, 8, 8, 8), "ppm_channels": 8, "decoder_features": (8, 4)},
}
NETS = {"unet": UNet, "invertednet": InvertedNet, "nwcn": NWCN, "cdnn": CDNN, "slsdeep": SLSDeep}

# (in_channels, nlce, spatial shape)
SHAPES = [(1, False, (64, 64)), (3, False, (64, 64)), (1, True, (64, 64)), (3, True, (32, 48))]
# NWCN returns (B, stages, C, *spatial) in training mode; the refined output's class 1 is backpropagated
TRAIN_OUTPUT = {"nwcn": (lambda shape: (2, 2, 2, *shape), lambda out: out[:, 0, 1])}
FORWARD_CASES = [(f"{name}_{i}", name, *case) for name in NETS for i, case in enumerate(SHAPES)]

# (name, NLCE places, modules whose inputs are recorded, the input shapes they see on 1 x 1 x 64 x 64, NLCEs with nlce=True)
PLACES = [
    ("unet", lambda n: [n.nlce], lambda n: [n.nlce], [(1, 64, 4, 4)], 1),  # the 1/16-resolution, widest level
    ("invertednet", lambda n: [n.nlce], lambda n: [n.nlce], [(1, 4, 8, 8)], 1),  # deepest: fewest features, 1/8
    ("nwcn", lambda n: [n.stage1.nlce, n.stage2.nlce], lambda n: [n.stage1.nlce, n.stage2.nlce], [(1, 16, 8, 8)] * 2, 2),
    ("cdnn", lambda n: [n.nlce], lambda n: [n.nlce], [(1, 32, 4, 4)], 1),
    ("slsdeep", lambda n: [n.nlce], lambda n: [n.nlce, n.ppm], [(1, 32, 8, 8)] * 2, 1),  # before the pyramid pooling
]
NLCE_CASES = [(f"{name}_{nlce}", name, nlce, *rest) for name, *rest in PLACES for nlce in (False, True)]


def build(name: str, **kwargs) -> torch.nn.Module:
    return NETS[name](**TINY[name], **kwargs)


class TestBaselines(unittest.TestCase):
    @parameterized.expand(FORWARD_CASES)
    def test_forward_backward_shape(self, _, name, in_channels, nlce, shape):
        """Training-mode forward of a batch of 2, backward reaching the input, then the eval-mode logits."""
        net = build(name, in_channels=in_channels, out_channels=2, nlce=nlce)
        train_shape, select = TRAIN_OUTPUT.get(name, (lambda s: (2, 2, *s), lambda out: out[:, 1]))
        x = torch.randn(2, in_channels, *shape, requires_grad=True)
        out = net(x)
        self.assertEqual(out.shape, train_shape(shape))
        select(out).sum().backward()
        self.assertGreater(x.grad.abs().sum().item(), 0.0)
        with torch.no_grad():
            self.assertEqual(net.eval()(x).shape, (2, 2, *shape))

    @parameterized.expand(NLCE_CASES)
    def test_nlce_count_and_place(self, _, name, nlce, places, hooked, shapes, count):
        net = build(name, nlce=nlce).eval()
        self.assertEqual(sum(isinstance(m, NLCE) for m in net.modules()), count if nlce else 0)
        self.assertTrue(all(isinstance(m, NLCE) == nlce for m in places(net)))  # nn.Identity without NLCE
        seen = []
        for module in hooked(net):
            module.register_forward_hook(lambda m, i, o: seen.append(tuple(i[0].shape)))
        with torch.no_grad():
            net(torch.randn(1, 1, 64, 64))
        self.assertEqual(seen, shapes)

    @parameterized.expand([(name,) for name in NETS])
    def test_torchscript_round_trip(self, name):
        net = build(name, in_channels=3, nlce=True).eval()
        x = torch.randn(2, 3, 64, 64)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"{name}.ts"
            torch.jit.save(torch.jit.script(net), str(path))
            loaded = torch.jit.load(str(path))
        with torch.no_grad():
            torch.testing.assert_close(loaded(x), net(x))


if __name__ == "__main__":
    unittest.main()
