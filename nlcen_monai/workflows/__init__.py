"""Helpers that the MONAI bundles call from their configs: settings checks, datalists, checkpoints, the released model, inference outputs."""

from __future__ import annotations

from .attach import attach_handlers
from .checkpoints import latest_checkpoint
from .datalists import IMAGE_SUFFIXES, datalist_path, list_images, load_datalist
from .load_network import load_network
from .match_channels import MatchChanneld, match_channels
from .release import export_release, model_path, released_model, verify_checksum
from .segmentation_writer import SaveSegmentationd, WrittenFilesCSV, mask_column
from .settings import BundleSettingError, check_settings, required_setting, size_divisor

__all__ = [
    "IMAGE_SUFFIXES",
    "BundleSettingError",
    "MatchChanneld",
    "SaveSegmentationd",
    "WrittenFilesCSV",
    "attach_handlers",
    "check_settings",
    "datalist_path",
    "export_release",
    "latest_checkpoint",
    "list_images",
    "load_datalist",
    "load_network",
    "mask_column",
    "match_channels",
    "model_path",
    "released_model",
    "required_setting",
    "size_divisor",
    "verify_checksum",
]
