"""Tests for loading an initial checkpoint and freezing parameters by name prefix (the ablation's fine-tuning)."""

from __future__ import annotations

import os
import tempfile
import unittest
from pathlib import Path

import torch
from monai.bundle import ConfigParser
from parameterized import parameterized

from nlcen_monai.networks import get_network
from nlcen_monai.networks.nets import PixelNormalizedNet
from nlcen_monai.workflows import freeze_by_prefix, instantiate_and_freeze, load_and_freeze, load_init_checkpoint

ROOT = Path(__file__).resolve().parents[2]
TINY = {"widen_factor": 0.125, "fpn_channels": 8, "num_codes": 4}


def tiny_nlcen(nlce: bool = True, **flags) -> PixelNormalizedNet:
    return PixelNormalizedNet(get_network("nlcen", nlce=nlce, in_channels=1, out_channels=2, **TINY, **flags))


class TestFreeze(unittest.TestCase):
    def setUp(self):
        torch.manual_seed(0)
        self.tmp = tempfile.TemporaryDirectory()
        self.ckpt = os.path.join(self.tmp.name, "wo_nlce.pt")
        self.source = tiny_nlcen(nlce=False)
        torch.save(self.source.state_dict(), self.ckpt)

    def tearDown(self):
        self.tmp.cleanup()

    def test_freeze_all_but_nlce_after_loading_wo_nlce(self):
        net = tiny_nlcen()
        with self.assertLogs("nlcen_monai.workflows.freeze", "INFO") as logs:
            load_and_freeze(net, self.ckpt, freeze_except_prefixes=["network.nlce."])
        names = [n for n, _ in net.named_parameters()]
        trainable = {n for n, p in net.named_parameters() if p.requires_grad}
        self.assertEqual(trainable, {n for n in names if n.startswith("network.nlce.")})
        self.assertTrue(trainable and len(trainable) < len(names))
        # the w/o NLCE network has exactly NLCEN's names minus network.nlce.*, so the rest was loaded
        self.assertEqual(set(self.source.state_dict()), {k for k in net.state_dict() if not k.startswith("network.nlce.")})
        for k, v in self.source.state_dict().items():
            self.assertTrue(torch.equal(net.state_dict()[k], v), k)
        self.assertIn("missing keys ['network.nlce.", "\n".join(logs.output))

        # one training step changes the NLCE parameters only
        before = {n: p.detach().clone() for n, p in net.named_parameters()}
        opt = torch.optim.Adam(filter(lambda p: p.requires_grad, net.parameters()), lr=0.1)
        self.assertEqual(sum(len(g["params"]) for g in opt.param_groups), len(trainable))
        net.train()
        sum(o.float().square().mean() for o in net(torch.rand(2, 1, 32, 32) * 255)).backward()
        opt.step()
        changed = {n for n, p in net.named_parameters() if not torch.equal(p, before[n])}
        self.assertTrue(changed)
        for n, p in net.named_parameters():
            self.assertEqual(not torch.equal(p, before[n]), n in trainable and p.grad is not None and bool(p.grad.any()), n)

    @parameterized.expand([(["network.backbone.", "network.side."],), (["network.head"],)])
    def test_freeze_prefixes(self, prefixes):
        net = tiny_nlcen()
        frozen = freeze_by_prefix(net, prefixes)
        expected = [n for n, _ in net.named_parameters() if any(n.startswith(p) for p in prefixes)]
        self.assertEqual(frozen, expected)
        self.assertEqual([n for n, p in net.named_parameters() if not p.requires_grad], expected)
        # no prefix: everything trainable again
        self.assertEqual(freeze_by_prefix(net), [])
        self.assertTrue(all(p.requires_grad for p in net.parameters()))

    def test_errors(self):
        net = tiny_nlcen()
        with self.assertRaisesRegex(ValueError, "match no parameter"):
            freeze_by_prefix(net, ["nlce."])  # inside PixelNormalizedNet the names start with network.
        with self.assertRaisesRegex(ValueError, "match no parameter"):
            freeze_by_prefix(tiny_nlcen(nlce=False), except_prefixes=["network.nlce."])
        with self.assertRaisesRegex(ValueError, "not both"):
            freeze_by_prefix(net, ["network.head"], ["network.nlce."])
        with self.assertRaises(FileNotFoundError):
            load_init_checkpoint(net, os.path.join(self.tmp.name, "missing.pt"))
        torch.save(self.source.network.state_dict(), os.path.join(self.tmp.name, "bare.pt"))  # no "network." prefix
        with self.assertRaisesRegex(ValueError, "shares no key"):
            load_init_checkpoint(net, os.path.join(self.tmp.name, "bare.pt"))
        with self.assertRaisesRegex(ValueError, "init_checkpoint is null"):
            instantiate_and_freeze("nlcen_monai.networks.nets.PixelNormalizedNet", None, network=tiny_nlcen().network)

    def test_interval_checkpoint_and_strict(self):
        path = os.path.join(self.tmp.name, "checkpoint_epoch=1.pt")
        torch.save({"model": self.source.state_dict(), "optimizer": {"state": {}}}, path)
        net = tiny_nlcen(nlce=False)
        missing, unexpected = load_init_checkpoint(net, path, strict=True)
        self.assertEqual((missing, unexpected), ([], []))
        with self.assertRaises(RuntimeError):
            load_init_checkpoint(tiny_nlcen(), path, strict=True)

    def test_bundle_optimizer_gets_only_unfrozen(self):
        files = ["bundles/nlcen_jsrt/configs/train.json", "configs/ablation/wo_nl.json", "configs/ablation/finetune_frozen.json"]
        parser = ConfigParser()
        parser.read_config([str(ROOT / f) for f in files])
        parser.update({"init_checkpoint": self.ckpt, "device": "$torch.device('cpu')"})
        parser.update({f"network_kwargs#{k}": v for k, v in TINY.items()})
        optimizer = parser.get_parsed_content("optimizer")
        network = parser.get_parsed_content("network")
        trainable = {n for n, p in network.named_parameters() if p.requires_grad}
        self.assertTrue(trainable and all(n.startswith("network.nlce.") and ".nonlocal_block." not in n for n in trainable))
        self.assertEqual({n for n in dict(network.named_parameters()) if n.startswith("network.nlce.")}, trainable)
        self.assertEqual(
            {id(p) for g in optimizer.param_groups for p in g["params"]},
            {id(p) for n, p in network.named_parameters() if n in trainable},
        )
        # finetune_all: same start, nothing frozen
        parser.read_config([str(ROOT / f) for f in files[:2] + ["configs/ablation/finetune_all.json"]])
        parser.update({"init_checkpoint": self.ckpt, "device": "$torch.device('cpu')"})
        parser.update({f"network_kwargs#{k}": v for k, v in TINY.items()})
        network = parser.get_parsed_content("network", lazy=False)
        self.assertTrue(all(p.requires_grad for p in network.parameters()))
        self.assertTrue(torch.equal(network.state_dict()["network.top.weight"], self.source.state_dict()["network.top.weight"]))


if __name__ == "__main__":
    unittest.main()
