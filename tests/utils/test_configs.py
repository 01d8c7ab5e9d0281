"""Tests for the shared-configs lookup: the installed package data first, else the checkout's configs/."""

from __future__ import annotations

import tempfile
import unittest
from pathlib import Path
from unittest import mock

from nlcen_monai.utils import configs

REPO = Path(__file__).resolve().parents[2]


class TestConfigs(unittest.TestCase):
    def test_checkout(self):
        self.assertEqual(configs.configs_dir(), REPO / "configs")
        self.assertEqual(configs.config_file("networks", "unet.json"), REPO / "configs" / "networks" / "unet.json")
        with self.assertRaisesRegex(FileNotFoundError, "segnet.json"):
            configs.config_file("networks", "segnet.json")

    def test_installed_package_data_first(self):
        with tempfile.TemporaryDirectory() as tmp:
            package = Path(tmp) / "site-packages" / "nlcen_monai"
            (package / "configs" / "networks").mkdir(parents=True)
            (package.parent / "configs" / "networks").mkdir(parents=True)  # another distribution's folder
            with mock.patch.object(configs, "_PACKAGE", package):
                self.assertEqual(configs.configs_dir(), package / "configs")

    def test_nothing_found(self):
        with tempfile.TemporaryDirectory() as tmp, mock.patch.object(configs, "_PACKAGE", Path(tmp) / "nlcen_monai"):
            with self.assertRaisesRegex(FileNotFoundError, "no shared configs"):
                configs.configs_dir()


if __name__ == "__main__":
    unittest.main()
