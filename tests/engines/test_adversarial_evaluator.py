"""Tests for the adversarial evaluator: per-intensity DIC/JSC, resume hooks and bundle-config construction."""

from __future__ import annotations

import unittest

import torch
import torch.nn as nn
from monai.bundle import ConfigParser
from monai.data import DataLoader, Dataset
from monai.metrics import DiceMetric, MeanIoU
from monai.networks.utils import one_hot
from parameterized import parameterized

from nlcen_monai.attacks import get_attack
from nlcen_monai.engines import PAPER_EPSILONS, AdversarialEvaluator


def threshold_net() -> nn.Module:
    """Foreground where the 3x3 mean exceeds 128: exact on the blobs below, flipped by eps >= ~12."""
    net = nn.Conv2d(1, 2, 3, padding=1)
    with torch.no_grad():
        net.weight.zero_()
        net.weight[1] = 1 / 90
        net.weight[0] = -1 / 90
        net.bias.copy_(torch.tensor([128 / 10, -128 / 10]))
    return net


def blobs(n: int = 4, size: int = 32) -> list[dict]:
    g = torch.Generator().manual_seed(0)
    items = []
    for i in range(n):
        label = torch.zeros(1, size, size)
        label[:, 6 + i : 22 + i, 8:24] = 1
        image = label * 24 + 116 + torch.randint(-3, 4, (1, size, size), generator=g).float()
        items.append({"image": image, "label": label})
    return items


def loader(n: int = 4) -> DataLoader:
    return DataLoader(Dataset(blobs(n)), batch_size=2)


# (attack, attack_kwargs)
ATTACK_CASES = [("targeted_ifgsm", {}), ("ifgsm", {}), ("pgd", {"seed": 0, "restarts": 2}), ("segpgd", {"seed": 0})]


class TestAdversarialEvaluator(unittest.TestCase):
    @parameterized.expand(ATTACK_CASES)
    def test_metrics_per_intensity(self, attack, kwargs):
        net = threshold_net()
        net.train()
        evaluator = AdversarialEvaluator("cpu", loader(), net, epsilons=[16, 2], attack=attack, attack_kwargs=kwargs)
        evaluator.run()
        self.assertTrue(net.training)  # the caller's mode comes back
        state = evaluator.state.robustness
        self.assertEqual(state["attack"], attack)
        self.assertEqual(sorted(state["results"]), [0.0, 2.0, 16.0])
        clean, strong = state["results"][0.0], state["results"][16.0]
        self.assertEqual(clean["n_images"], 4)
        self.assertGreater(clean["dice"], 0.95)
        self.assertLess(strong["dice"], clean["dice"] - 0.2)
        self.assertLess(strong["jaccard"], strong["dice"] + 1e-6)
        self.assertAlmostEqual(evaluator.state.metrics["dice_eps16"], strong["dice"])
        self.assertAlmostEqual(evaluator.state.metrics["jaccard_eps0"], clean["jaccard"])

    def test_matches_monai_metrics(self):
        net = threshold_net().eval()
        items = blobs()
        evaluator = AdversarialEvaluator("cpu", loader(), net, epsilons=[8])
        evaluator.run()
        images = torch.stack([d["image"] for d in items])
        labels = torch.stack([d["label"] for d in items])
        attack = get_attack("targeted_ifgsm")
        for eps in (0.0, 8.0):
            x = images if eps == 0 else attack(net, images, labels, eps)
            with torch.no_grad():
                pred = one_hot(net(x).argmax(1, keepdim=True), 2)
            ref = one_hot(labels, 2)
            dice = DiceMetric(include_background=False)(pred, ref).mean().item()
            iou = MeanIoU(include_background=False)(pred, ref).mean().item()
            self.assertAlmostEqual(evaluator.state.robustness["results"][eps]["dice"], dice, places=6)
            self.assertAlmostEqual(evaluator.state.robustness["results"][eps]["jaccard"], iou, places=6)

    def test_epsilons_and_skip(self):
        evaluator = AdversarialEvaluator("cpu", loader(), threshold_net(), epsilons=[4, 0.5, 4.0, 0])
        self.assertEqual(evaluator.epsilons, [0.0, 0.5, 4.0])
        self.assertEqual(evaluator.skip_epsilons([0.5000000001, 0]), [4.0])
        evaluator.run()
        self.assertEqual(list(evaluator.state.robustness["results"]), [4.0])
        no_clean = AdversarialEvaluator("cpu", loader(), threshold_net(), epsilons=[1], include_clean=False)
        self.assertEqual(no_clean.epsilons, [1.0])
        self.assertEqual(len(AdversarialEvaluator("cpu", loader(), threshold_net()).epsilons), len(PAPER_EPSILONS) + 1)

    def test_bad_arguments(self):
        with self.assertRaises(ValueError):
            AdversarialEvaluator("cpu", loader(), threshold_net(), epsilons=[-1])
        with self.assertRaises(ValueError):
            AdversarialEvaluator("cpu", loader(), threshold_net(), attack="nope")

    def test_transfer_attack(self):
        target_net = threshold_net()
        source = threshold_net()
        evaluator = AdversarialEvaluator(
            "cpu", loader(), target_net, epsilons=[16], attack="transfer", attack_kwargs={"source_model": source}
        )
        evaluator.run()
        self.assertEqual(evaluator.attack_name, "transfer_targeted_ifgsm")
        # identical surrogate: the transfer attack is as strong as the white-box one
        white = AdversarialEvaluator("cpu", loader(), target_net, epsilons=[16])
        white.run()
        self.assertEqual(evaluator.state.robustness["results"], white.state.robustness["results"])

    def test_bundle_config(self):
        config = {
            "network": {"_target_": "torch.nn.Conv2d", "in_channels": 1, "out_channels": 2, "kernel_size": 3, "padding": 1},
            "evaluator": {
                "_target_": "nlcen_monai.engines.AdversarialEvaluator",
                "device": "cpu",
                "val_data_loader": "$@loader",
                "network": "@network",
                "epsilons": [1, 2],
                "attack": "pgd",
                "attack_kwargs": {"restarts": 1, "seed": 0},
                "postprocessing": {
                    "_target_": "AsDiscreted",
                    "keys": ["pred", "label"],
                    "argmax": [True, False],
                    "to_onehot": 2,
                },
            },
        }
        parser = ConfigParser(config)
        parser["loader"] = loader()
        evaluator = parser.get_parsed_content("evaluator")
        self.assertIsInstance(evaluator, AdversarialEvaluator)
        evaluator.run()
        self.assertEqual(sorted(evaluator.state.robustness["results"]), [0.0, 1.0, 2.0])


if __name__ == "__main__":
    unittest.main()
