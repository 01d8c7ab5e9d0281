"""train.json's initialize: seeded before the network is built (same seed, same weights), settings checked before any work."""

from __future__ import annotations

import tempfile
import unittest
from pathlib import Path

import torch
from monai.bundle import ConfigParser
from parameterized import parameterized

from nlcen_monai.workflows import BundleSettingError

REPO = Path(__file__).resolve().parents[2]
BUNDLES = [("nlcen_jsrt",), ("nlcen_isbi2016",)]


def initialized_network(bundle: str, tmp: str, **override) -> torch.nn.Module:
    parser = ConfigParser()
    parser.read_config([str(REPO / "bundles" / bundle / "configs" / c) for c in ("train.json",)])
    settings = {"dataset_dir": tmp, "ckpt_dir": str(Path(tmp) / "models"), "width": 0.125, "num_threads": None}
    parser.update({**settings, **override})
    parser.get_parsed_content("initialize")
    return parser.get_parsed_content("network_def")


class TestInitialize(unittest.TestCase):
    @parameterized.expand(BUNDLES)
    def test_same_seed_same_weights(self, bundle):
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "datalist.json").write_text("{}")
            first, second = (initialized_network(bundle, tmp).state_dict() for _ in range(2))
            other = initialized_network(bundle, tmp, seed=1).state_dict()
            for key, value in first.items():
                torch.testing.assert_close(second[key], value, rtol=0, atol=0)
            self.assertTrue(any(not torch.equal(other[k], v) for k, v in first.items() if v.is_floating_point()))
            self.assertTrue((Path(tmp) / "models").is_dir())

    def test_bad_setting_stops_before_the_models_folder(self):
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "datalist.json").write_text("{}")
            with self.assertRaisesRegex(BundleSettingError, "epochs -1"):
                initialized_network("nlcen_jsrt", tmp, epochs=-1)
            self.assertFalse((Path(tmp) / "models").exists())


if __name__ == "__main__":
    unittest.main()
