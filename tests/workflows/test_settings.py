"""Tests for the bundle settings check: each bad setting is named with its value and what is wrong."""

from __future__ import annotations

import tempfile
import unittest
from pathlib import Path

import torch
import torch.nn as nn
from parameterized import parameterized

from nlcen_monai.networks.nets import CDNN, NLCEN, NWCN, InvertedNet, PixelNormalizedNet, SLSDeep, UNet
from nlcen_monai.workflows import BundleSettingError, check_settings, required_setting, size_divisor

# (network, what its input sizes must be divisible by)
DIVISOR_CASES = [
    (NLCEN(widen_factor=0.125, fpn_channels=8, num_codes=4), 32),
    (UNet(features=(4, 4, 4, 4, 4, 4)), 16),
    (CDNN(features=(4, 4, 4, 4, 4)), 16),
    (InvertedNet(features=(4, 4, 4, 4, 4)), 8),
    (NWCN(features=(4, 4, 4, 4)), 8),
    (SLSDeep(layers=(1, 1, 1, 1), features=(4, 4, 4, 4), ppm_channels=4, decoder_features=(4, 4)), 8),
]

# (settings, text the message must contain)
BAD_CASES = [
    ({"epochs": -1}, "epochs -1 is not a positive integer"),
    ({"epochs": 0}, "epochs 0 is not a positive integer"),
    ({"epochs": 2.5}, "epochs 2.5 is not a positive integer"),
    ({"batch_size": 0}, "batch_size 0 is not a positive integer"),
    ({"num_threads": -2}, "num_threads -2 is not a positive integer"),
    ({"image_size": -64}, "image_size -64 is not a positive integer"),
    ({"image_size": 100, "network": PixelNormalizedNet(DIVISOR_CASES[0][0])}, "image_size 100 is not divisible by 32, which NLCEN needs: try 96"),
    ({"image_size": [64, 72], "network": DIVISOR_CASES[1][0]}, "image_size [64, 72] is not divisible by 16, which UNet needs"),
    ({"dataset_dir": "/nonexistent"}, "dataset_dir '/nonexistent' does not exist"),
    ({"init_checkpoint": "/nonexistent/model.pt"}, "init_checkpoint '/nonexistent/model.pt' does not exist"),
    ({"input_dir": "/nonexistent"}, "input_dir '/nonexistent' does not exist"),
]


class TestCheckSettings(unittest.TestCase):
    @parameterized.expand(BAD_CASES)
    def test_bad_setting_is_named(self, settings, message):
        with self.assertRaises(BundleSettingError) as info:
            check_settings(**settings)
        self.assertIn(message, str(info.exception))
        self.assertTrue(str(info.exception).startswith("bad bundle setting: "))
        self.assertEqual(info.exception.code, str(info.exception))  # what `python -m` prints, alone

    def test_good_settings_pass(self):
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "datalist.json").write_text("{}")
            (Path(tmp) / "model.pt").touch()
            (Path(tmp) / "a.png").touch()
            network = PixelNormalizedNet(DIVISOR_CASES[0][0])
            check_settings(epochs=1, image_size=96, dataset_dir=tmp, network=network, batch_size=2,
                           init_checkpoint=str(Path(tmp) / "model.pt"), input_dir=tmp, num_threads=1)
            check_settings()  # nothing given, nothing checked

    def test_dataset_dir_without_datalist(self):
        with tempfile.TemporaryDirectory() as tmp, self.assertRaisesRegex(BundleSettingError, "holds no datalist.json"):
            check_settings(dataset_dir=tmp)

    def test_every_problem_in_one_message(self):
        with self.assertRaises(BundleSettingError) as info:
            check_settings(epochs=-1, dataset_dir="/nonexistent")
        self.assertEqual(len(info.exception.problems), 2)
        self.assertIn("epochs -1", str(info.exception))
        self.assertIn("'/nonexistent'", str(info.exception))

    def test_passes_through_code_that_catches_exception(self):
        # MONAI wraps config-expression errors with `except Exception`; this one must get through
        try:
            check_settings(epochs=-1)
        except Exception:  # noqa: BLE001
            self.fail("BundleSettingError was caught as an Exception")
        except SystemExit as e:
            self.assertIn("epochs", str(e))

    def test_required_setting(self):
        with self.assertRaisesRegex(BundleSettingError, "'init_checkpoint' is required .*--init_checkpoint"):
            required_setting("init_checkpoint", "the model.pt to start from")


class TestSizeDivisor(unittest.TestCase):
    @parameterized.expand([(type(n).__name__, n, d) for n, d in DIVISOR_CASES])
    def test_networks(self, _, network, divisor):
        self.assertEqual(size_divisor(network), divisor)
        self.assertEqual(size_divisor(PixelNormalizedNet(network)), divisor)
        size = 2 * divisor
        with torch.no_grad():
            self.assertEqual(network.eval()(torch.rand(1, 1, size, size)).shape, (1, 2, size, size))

    def test_unknown_network(self):
        self.assertIsNone(size_divisor(nn.Conv2d(1, 2, 3)))
        check_settings(image_size=100, network=nn.Conv2d(1, 2, 3))  # nothing to check against


class TestModelAndOutputSettings(unittest.TestCase):
    """The model to load and the folder to write are checked before anything is written."""

    def test_missing_model_and_output_parent_are_named(self):
        with tempfile.TemporaryDirectory() as tmp:
            with self.assertRaises(BundleSettingError) as caught:
                check_settings(ckpt_dir=Path(tmp) / "nowhere", bundle_name="nlcen_jsrt", output_dir=Path(tmp) / "a" / "b")
            problems = caught.exception.problems
            self.assertEqual(len(problems), 2)
            self.assertIn("nowhere' holds no model.pt", problems[0])
            self.assertIn("its parent folder", problems[1])
            (Path(tmp) / "file").write_text("x")
            with self.assertRaisesRegex(BundleSettingError, "is a file, not a folder"):
                check_settings(output_dir=Path(tmp) / "file")
            check_settings(output_dir=Path(tmp) / "new")  # a new folder in an existing one is fine

    def test_the_model_is_checked_only_with_the_bundle_name(self):
        check_settings(ckpt_dir="/nowhere")  # without bundle_name: not this call's business
        check_settings(ckpt_dir=None, bundle_name="nlcen_jsrt")  # the released model, found and verified


if __name__ == "__main__":
    unittest.main()
