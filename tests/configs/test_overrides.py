"""Every override in configs/networks and configs/ablation parses with each bundle's train.json and builds its network and loss."""

from __future__ import annotations

import json
import re
import unittest
from pathlib import Path

import torch.nn as nn
from monai.bundle import ConfigParser
from parameterized import parameterized

from nlcen_monai.compare import describe_network
from nlcen_monai.networks import NETWORKS, get_loss
from nlcen_monai.networks.blocks.nlce import NLCE
from nlcen_monai.networks.nets import NLCEN, PixelNormalizedNet

ROOT = Path(__file__).resolve().parents[2]
BUNDLES = ["nlcen_jsrt", "nlcen_isbi2016"]
NETWORK_FILES = sorted((ROOT / "configs" / "networks").glob("*.json"))
ABLATION_FILES = [ROOT / "configs" / "ablation" / f"{n}.json" for n in ("wo_nlce", "wo_nl", "wo_ce")]
CASES = [(b, str(f.relative_to(ROOT))) for b in BUNDLES for f in [*NETWORK_FILES, *ABLATION_FILES]]
# every config file a user stacks; none may address a list element by its index
OVERRIDE_FILES = sorted(
    [*(ROOT / "configs").rglob("*.json"), *(ROOT / "bundles").glob("*/configs/*.json")], key=str
)
LIST_INDEX = re.compile(r"(^|#)\d+(#|$)")
TINY = {"network_def#network#widen_factor": 0.125, "network_def#network#fpn_channels": 8}


def parse(bundle: str, *files: str, **override) -> ConfigParser:
    parser = ConfigParser()
    parser.read_config([str(ROOT / "bundles" / bundle / "configs" / "train.json"), *(str(ROOT / f) for f in files)])
    parser.update(override)
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
        is_nlcen = "networks/nlcen" in override or "ablation" in override
        parser = parse(bundle, override, **(TINY if is_nlcen else {}))
        net = parser.get_parsed_content("network_def")
        self.assertIsInstance(net, PixelNormalizedNet)
        name = parser.get_parsed_content("network_name")
        self.assertIs(type(net.network), NETWORKS[name])
        self.assertEqual(describe_network([ROOT / "bundles" / bundle / "configs" / "train.json", ROOT / override])["network"], name)
        self.assertIsInstance(parser.get_parsed_content("loss"), type(get_loss(name)))
        modules = nlce_modules(net)
        config = parser["network_def"]["network"]
        if not is_nlcen:
            self.assertEqual(bool(modules), config["nlce"], override)
            return
        # NLCEN variants change only the flags: the bundle's backbone (resnet18 / resnet50) stays
        self.assertEqual(config["backbone"], parse(bundle)["network_def"]["network"]["backbone"])
        self.assertEqual(net.network.backbone.conv1.in_channels, parser["in_channels"])
        self.assertEqual(len(modules), 4 if config["nlce"] else 0)
        for m in modules:
            self.assertEqual(not isinstance(m.nonlocal_block, nn.Identity), config["use_nonlocal"])
            self.assertEqual(not isinstance(m.context_encoding, nn.Identity), config["use_context"])

    @parameterized.expand([(f.stem, f) for f in NETWORK_FILES])
    def test_loss_is_the_networks_own(self, _, path):
        """``get_loss`` in Python builds the loss the bundle builds from the same file."""
        parser = parse("nlcen_jsrt", str(path.relative_to(ROOT)))
        name = parser.get_parsed_content("network_name")
        loss, expected = parser.get_parsed_content("loss"), get_loss(name)
        self.assertIs(type(loss), type(expected))
        for attribute in ("jaccard", "squared_pred", "softmax", "to_onehot_y", "include_background", "weight_mode"):
            self.assertEqual(getattr(loss, attribute, None), getattr(expected, attribute, None), attribute)

    @parameterized.expand([(f.stem, f) for f in NETWORK_FILES if f.stem.endswith("_nlce")])
    def test_nlce_twin_differs_only_in_nlce(self, _, path):
        """``<name>_nlce.json`` is ``<name>.json`` with ``nlce: true``, as ``get_network(name, nlce=True)`` assumes."""
        twin, plain = json.loads(path.read_text()), json.loads(path.with_name(path.name.replace("_nlce", "")).read_text())
        self.assertEqual((twin["network_def#network"].pop("nlce"), plain["network_def#network"].pop("nlce")), (True, False))
        self.assertEqual(twin, plain)

    def test_ablation_names_the_paper_variants(self):
        flags = {}
        for f in ABLATION_FILES + [ROOT / "configs" / "networks" / "nlcen.json"]:
            info = describe_network([ROOT / "bundles" / "nlcen_jsrt" / "configs" / "train.json", f])
            flags[f.stem] = (info["nlce"], info["use_nonlocal"], info["use_context"])
        self.assertEqual(
            flags,
            {"wo_nlce": (False, True, True), "wo_nl": (True, False, True), "wo_ce": (True, True, False), "nlcen": (True, True, True)},
        )

    @parameterized.expand([(str(f.relative_to(ROOT)), f) for f in OVERRIDE_FILES])
    def test_no_list_index(self, _, path):
        keys = [k for k in json.loads(path.read_text()) if LIST_INDEX.search(k)]
        self.assertEqual(keys, [], f"{path}: ids that address a list element by its position")


class TestDemo(unittest.TestCase):
    def test_demo_narrows_nlcen_only(self):
        parser = parse("nlcen_jsrt", "configs/demo.json")
        net = parser.get_parsed_content("network_def").network
        self.assertIsInstance(net, NLCEN)
        self.assertEqual(net.stage_channels, [8, 16, 32, 64])
        # a baseline stacked before the demo keeps its own widths: the demo sets no network argument
        unet = parse("nlcen_jsrt", "configs/networks/unet.json", "configs/demo.json").get_parsed_content("network_def")
        self.assertEqual(type(unet.network).__name__, "UNet")

    def test_synthetic_kind_follows_the_channels(self):
        for bundle, kind in (("nlcen_jsrt", "chest"), ("nlcen_isbi2016", "lesion")):
            self.assertNotIn("synthetic_kind", parse(bundle).config)
            self.assertEqual(parse(bundle, "configs/demo.json").get_parsed_content("synthetic_kind"), kind)


if __name__ == "__main__":
    unittest.main()
