"""Tests for get_network / get_loss: every name builds its network and its paper's loss."""

from __future__ import annotations

import unittest

import torch
import torch.nn.functional as F
from monai.losses import DiceLoss
from parameterized import parameterized

from nlcen_monai.losses import LabelCrossEntropyLoss, NLCENLoss, NLLEPELoss, StackedDeepSupervisionLoss
from nlcen_monai.networks import NETWORKS, get_loss, get_network
from nlcen_monai.networks.blocks import NLCE
from nlcen_monai.networks.nets import CDNN, NLCEN, NWCN, UNet, InvertedNet, SLSDeep

# (name, class, tiny kwargs, NLCE count with nlce=True, loss class, training output stages or None)
CASES = [
    ("nlcen", NLCEN, {"fpn_channels": 8, "widen_factor": 0.125, "num_codes": 4}, 4, NLCENLoss, 5),
    ("unet", UNet, {"features": (4, 8, 8, 16, 16, 4)}, 1, LabelCrossEntropyLoss, None),
    ("InvertedNet", InvertedNet, {"features": (8, 8, 4, 4, 4)}, 1, LabelCrossEntropyLoss, None),
    ("nwcn", NWCN, {"features": (4, 4, 8, 8)}, 2, StackedDeepSupervisionLoss, 2),
    ("cdnn", CDNN, {"features": (4, 4, 8, 8, 16)}, 1, DiceLoss, None),
    ("SLSDeep", SLSDeep, {"layers": (1, 1, 1, 1), "features": (4, 4, 4, 4), "ppm_channels": 4, "decoder_features": (4, 4)}, 1, NLLEPELoss, None),
]


class TestFactory(unittest.TestCase):
    def test_names(self):
        self.assertEqual(sorted(NETWORKS), ["cdnn", "invertednet", "nlcen", "nwcn", "slsdeep", "unet"])

    @parameterized.expand(CASES)
    def test_network_and_loss(self, name, cls, tiny, n_nlce, loss_cls, stages):
        x = torch.randn(2, 3, 64, 64)
        labels = torch.randint(0, 2, (2, 1, 64, 64))
        for nlce, expected in ((True, n_nlce), (False, 0)):
            net = get_network(name, nlce=nlce, in_channels=3, out_channels=2, **tiny)
            self.assertIsInstance(net, cls)
            self.assertEqual(sum(isinstance(m, NLCE) for m in net.modules()), expected)
        out = net.train()(x)  # a training step as SupervisedTrainer runs it: loss_function(net(x), labels)
        self.assertEqual(out.shape, (2, 2, 64, 64) if stages is None else (2, stages, 2, 64, 64))
        loss = get_loss(name)
        self.assertIsInstance(loss, loss_cls)
        value = loss(out, labels)
        self.assertEqual(value.dim(), 0)
        value.backward()
        with torch.no_grad():
            self.assertEqual(net.eval()(x).shape, (2, 2, 64, 64))

    def test_default_nlce_follows_network(self):
        tiny = CASES[0][2]
        self.assertEqual(sum(isinstance(m, NLCE) for m in get_network("nlcen", **tiny).modules()), 4)
        self.assertFalse(any(isinstance(m, NLCE) for m in get_network("cdnn", features=(4, 4, 4, 4, 4)).modules()))

    def test_loss_values(self):
        logits, labels = torch.randn(2, 2, 8, 8), torch.randint(0, 2, (2, 1, 8, 8))
        ce = F.cross_entropy(logits, labels[:, 0])
        torch.testing.assert_close(get_loss("unet")(logits, labels), ce)
        torch.testing.assert_close(get_loss("nwcn")(torch.stack([logits, logits], 1), labels), 2 * ce)
        torch.testing.assert_close(get_loss("slsdeep", epe_weight=0.0)(logits, labels), ce)
        self.assertTrue(get_loss("cdnn").jaccard)
        self.assertEqual(get_loss("cdnn", include_background=True).include_background, True)

    def test_unknown_name(self):
        with self.assertRaisesRegex(ValueError, "unknown network"):
            get_network("segnet")
        with self.assertRaisesRegex(ValueError, "unknown network"):
            get_loss("segnet")


if __name__ == "__main__":
    unittest.main()
