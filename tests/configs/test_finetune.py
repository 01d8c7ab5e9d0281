"""The freeze-then-fine-tune overrides (configs/ablation/finetune_*.json): MONAI's freeze_layers and CheckpointLoader(strict=False)."""

from __future__ import annotations

import tempfile
import unittest
from pathlib import Path

import torch
from ignite.engine import Engine
from monai.bundle import ConfigParser
from monai.handlers import CheckpointLoader
from parameterized import parameterized

from nlcen_monai.networks.nets import NLCEN, PixelNormalizedNet
from nlcen_monai.workflows import BundleSettingError

ROOT = Path(__file__).resolve().parents[2]
TINY = {"widen_factor": 0.125, "fpn_channels": 8, "num_codes": 4}
# (network override, fine-tuning override, prefixes that must train, prefixes that must stay frozen)
CASES = [
    ("configs/ablation/wo_nl.json", "finetune_frozen", ("network.nlce.",), (".nonlocal_block.",)),
    ("configs/ablation/wo_ce.json", "finetune_frozen", ("network.nlce.",), (".context_encoding.",)),
    ("configs/networks/nlcen.json", "finetune_frozen", ("network.nlce.",), ()),
    ("configs/networks/nlcen.json", "finetune_all", ("network.",), ()),
]


def parser_for(*files: str, **override) -> ConfigParser:
    parser = ConfigParser()
    parser.read_config([str(ROOT / "bundles" / "nlcen_jsrt" / "configs" / "train.json"), *(str(ROOT / f) for f in files)])
    parser.update({"device": "$torch.device('cpu')", **{f"network_def#network#{k}": v for k, v in TINY.items()}, **override})
    return parser


def init_loader_id(parser: ConfigParser) -> str:
    """The id of train.json's handler that loads ``init_checkpoint``."""
    (index,) = [i for i, h in enumerate(parser["train#handlers"]) if h.get("load_path") == "@init_checkpoint"]
    return f"train#handlers#{index}"


class TestFinetune(unittest.TestCase):
    def setUp(self):
        torch.manual_seed(0)
        self.tmp = tempfile.TemporaryDirectory()
        self.ckpt = str(Path(self.tmp.name) / "wo_nlce.pt")
        self.source = PixelNormalizedNet(NLCEN(nlce=False, **TINY))
        torch.save(self.source.state_dict(), self.ckpt)

    def tearDown(self):
        self.tmp.cleanup()

    @parameterized.expand(CASES)
    def test_loads_the_checkpoint_and_trains_only_the_unfrozen(self, network_file, how, trained, frozen_inside):
        parser = parser_for(network_file, f"configs/ablation/{how}.json", init_checkpoint=self.ckpt)
        optimizer = parser.get_parsed_content("optimizer")
        network = parser.get_parsed_content("network")
        trainable = {n for n, p in network.named_parameters() if p.requires_grad}
        expected = {
            n for n, _ in network.named_parameters() if n.startswith(trained) and not any(f in n for f in frozen_inside)
        }
        self.assertTrue(expected)
        self.assertEqual(trainable, expected)
        self.assertEqual(  # the optimizer holds the trainable parameters only
            {id(p) for g in optimizer.param_groups for p in g["params"]},
            {id(p) for n, p in network.named_parameters() if n in trainable},
        )

        # a train handler loads the w/o-NLCE weights non-strictly when the trainer starts
        loader = parser.get_parsed_content(init_loader_id(parser))
        self.assertIsInstance(loader, CheckpointLoader)
        before = {k: v.clone() for k, v in network.state_dict().items()}
        engine = Engine(lambda e, b: None)
        loader.attach(engine)
        engine.run([0], max_epochs=1)
        state = network.state_dict()
        for key, value in self.source.state_dict().items():
            self.assertTrue(torch.equal(state[key], value), key)
        for key in state:
            if key not in self.source.state_dict():  # the NLCE modules keep their fresh initialisation
                self.assertTrue(key.startswith("network.nlce.") and torch.equal(state[key], before[key]), key)

    @parameterized.expand([("finetune_frozen",), ("finetune_all",)])
    def test_init_checkpoint_is_required(self, how):
        parser = parser_for("configs/networks/nlcen.json", f"configs/ablation/{how}.json")
        with self.assertRaisesRegex(BundleSettingError, "'init_checkpoint' is required"):
            parser.get_parsed_content("initialize")

    def test_plain_training_loads_nothing(self):
        parser = parser_for()
        self.assertIsNone(parser.get_parsed_content(init_loader_id(parser)))  # disabled without init_checkpoint


if __name__ == "__main__":
    unittest.main()
