"""Helpers the MONAI bundles call from their configs: settings checked before any work, the checkpoint to
resume from (with the validation's best-model record it carries), handlers attached after the engine is
built, a trained network loaded for a config expression, and the bundle's released model (found and
checksum-verified).
"""

from __future__ import annotations

from .attach import attach_handlers
from .best_model_state import BestModelState
from .checkpoints import interval_checkpoints, latest_checkpoint
from .load_network import load_network
from .release import bundle_file, export_release, model_path, released_model, verify_checksum
from .settings import BundleSettingError, check_settings, required_setting, size_divisor

__all__ = [
    "BestModelState",
    "BundleSettingError",
    "attach_handlers",
    "bundle_file",
    "check_settings",
    "export_release",
    "interval_checkpoints",
    "latest_checkpoint",
    "load_network",
    "model_path",
    "released_model",
    "required_setting",
    "size_divisor",
    "verify_checksum",
]
