"""Tests for the released model: checksum written and verified, model found or refused, weights exported and loaded back."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path
from unittest import mock

import torch
import torch.nn as nn

from nlcen_monai.workflows.release import (
    BUNDLES_DIR_ENV,
    export_release,
    file_sha256,
    model_path,
    released_model,
    verify_checksum,
    write_checksum,
)


def small_net(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.Conv2d(4, 2, 1))


class TestRelease(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.root = Path(self.tmp.name)
        self.models = self.root / "bundles" / "toy" / "models"

    def tearDown(self):
        self.tmp.cleanup()

    def test_export_keeps_the_weights_and_writes_the_checksum(self):
        net = small_net()
        torch.save({"model": net.state_dict(), "optimizer": {"lr": 1.0}}, self.root / "checkpoint_epoch=3.pt")
        path, digest = export_release(self.root / "checkpoint_epoch=3.pt", self.models)
        self.assertEqual(digest, file_sha256(path))
        self.assertEqual((self.models / "model.sha256").read_text(), f"{digest}  model.pt\n")
        state = torch.load(path, weights_only=True)
        self.assertEqual(set(state), set(net.state_dict()))
        other = small_net(seed=1)
        other.load_state_dict(state)
        for a, b in zip(net.state_dict().values(), other.state_dict().values()):
            self.assertTrue(torch.equal(a, b))

    def test_half_precision_halves_the_size_and_loads_back_as_float32(self):
        net = small_net()
        torch.save(net.state_dict(), self.root / "model.pt")
        full, _ = export_release(self.root / "model.pt", self.root / "full")
        half, _ = export_release(self.root / "model.pt", self.root / "half", half=True)
        state = torch.load(half, weights_only=True)
        self.assertEqual(state["0.weight"].dtype, torch.float16)
        self.assertEqual(state["1.num_batches_tracked"].dtype, torch.int64)
        loaded = small_net(seed=1)
        loaded.load_state_dict(state)
        self.assertEqual(loaded[0].weight.dtype, torch.float32)
        self.assertTrue(torch.allclose(loaded[0].weight, net[0].weight, atol=1e-3))
        self.assertLess(os.path.getsize(half), os.path.getsize(full))

    def test_a_changed_model_is_refused(self):
        torch.save(small_net().state_dict(), self.root / "model.pt")
        path, _ = export_release(self.root / "model.pt", self.models)
        verify_checksum(path)
        with open(path, "ab") as f:
            f.write(b"\0")
        with self.assertRaisesRegex(ValueError, "does not match its checksum"):
            verify_checksum(path)
        (self.models / "model.sha256").write_text("not a digest\n")
        with self.assertRaisesRegex(ValueError, "holds no SHA-256 digest"):
            verify_checksum(path)
        (self.models / "model.sha256").unlink()
        with self.assertRaisesRegex(FileNotFoundError, "model.sha256"):
            verify_checksum(path)

    def test_model_path_prefers_ckpt_dir_and_finds_the_released_model(self):
        torch.save(small_net().state_dict(), self.root / "model.pt")
        released, _ = export_release(self.root / "model.pt", self.models)
        self.assertEqual(released_model("toy", search=[self.root]), released)
        with mock.patch.dict(os.environ, {BUNDLES_DIR_ENV: str(self.root)}):
            self.assertEqual(model_path(None, "toy"), released)
        self.assertEqual(model_path(self.root, "toy"), str(self.root / "model.pt"))  # no checksum beside: not checked
        write_checksum(self.root / "model.pt")
        with open(self.root / "model.pt", "ab") as f:
            f.write(b"\0")
        with self.assertRaisesRegex(ValueError, "does not match"):
            model_path(self.root, "toy")
        with self.assertRaisesRegex(FileNotFoundError, "no released model of bundle 'absent'"):
            released_model("absent", search=[self.root])

    def test_the_documented_command_releases_without_warnings(self):
        torch.save(small_net().state_dict(), self.root / "model.pt")
        run = subprocess.run(
            [sys.executable, "-W", "error::RuntimeWarning", "-m", "nlcen_monai.workflows.release",
             str(self.root / "model.pt"), str(self.models)],
            capture_output=True, text=True, check=False,
        )
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertNotIn("found in sys.modules", run.stderr)  # runpy's warning when the package imported it first
        verify_checksum(self.models / "model.pt")


if __name__ == "__main__":
    unittest.main()
