"""Every override in configs/networks and configs/ablation parses with each bundle's train.json and builds its network."""

from __future__ import annotations

import unittest
from pathlib import Path

import torch.nn as nn
from monai.bundle import ConfigParser
from parameterized import parameterized

from nlcen_monai.networks import NETWORKS
from nlcen_monai.networks.blocks.nlce import NLCE
from nlcen_monai.networks.nets import PixelNormalizedNet

ROOT = Path(__file__).resolve().parents[2]
BUNDLES = ["nlcen_jsrt", "nlcen_isbi2016"]
NETWORK_FILES = sorted((ROOT / "configs" / "networks").glob("*.json"))
ABLATION_FILES = [ROOT / "configs" / "ablation" / f"{n}.json" for n in ("wo_nlce", "wo_nl", "wo_ce")]
CASES = [(b, str(f.relative_to(ROOT))) for b in BUNDLES for f in [*NETWORK_FILES, *ABLATION_FILES]]


def parse(bundle: str, *files: str) -> ConfigParser:
    train = ROOT / "bundles" / bundle / "configs" / "train.json"
    if not train.is_file():
        raise unittest.SkipTest(f"{train} is not there (yet).")
    parser = ConfigParser()
    parser.read_config([str(train), *(str(ROOT / f) for f in files)])
    return parser


def nlce_modules(net: nn.Module) -> list[NLCE]:
    return [m for m in net.modules() if isinstance(m, NLCE)]


class TestOverrides(unittest.TestCase):
    def test_every_network_with_and_without_nlce(self):
        names = {f.stem for f in NETWORK_FILES}
        expected = {n for name in NETWORKS for n in (name, f"{name}_nlce")} - {"nlcen_nlce"}
        self.assertEqual(names, expected)

    @parameterized.expand(CASES)
    def test_builds(self, bundle, override):
        bundle_kwargs = parse(bundle)["network_kwargs"]
        parser = parse(bundle, override)
        name, nlce, kwargs = parser["network_name"], parser["nlce"], parser["network_kwargs"]
        net = parser.get_parsed_content("network_def")
        self.assertIsInstance(net, PixelNormalizedNet)
        self.assertIs(type(net.network), NETWORKS[name])
        self.assertIsInstance(parser.get_parsed_content("loss"), nn.Module)
        modules = nlce_modules(net)
        if name != "nlcen":
            self.assertEqual(kwargs, {})
            self.assertEqual(bool(modules), nlce, override)
            return
        # NLCEN variants change only the flags: the bundle's backbone (resnet18 / resnet50) stays
        self.assertEqual(kwargs, {**bundle_kwargs, "use_nonlocal": kwargs["use_nonlocal"], "use_context": kwargs["use_context"]})
        self.assertEqual(net.network.stage_channels[-1], {"resnet18": 512, "resnet50": 2048}[bundle_kwargs["backbone"]])
        self.assertEqual(net.network.backbone.conv1.in_channels, parser["in_channels"])
        self.assertEqual(len(modules), 4 if nlce else 0)
        for m in modules:
            self.assertEqual(not isinstance(m.nonlocal_block, nn.Identity), kwargs["use_nonlocal"])
            self.assertEqual(not isinstance(m.context_encoding, nn.Identity), kwargs["use_context"])

    def test_ablation_names_the_paper_variants(self):
        flags = {}
        for f in ABLATION_FILES + [ROOT / "configs" / "networks" / "nlcen.json"]:
            p = parse("nlcen_jsrt", str(f.relative_to(ROOT)))
            flags[f.stem] = (p["nlce"], p["network_kwargs"]["use_nonlocal"], p["network_kwargs"]["use_context"])
        self.assertEqual(
            flags,
            {"wo_nlce": (False, True, True), "wo_nl": (True, False, True), "wo_ce": (True, True, False), "nlcen": (True, True, True)},
        )


if __name__ == "__main__":
    unittest.main()
