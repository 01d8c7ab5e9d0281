"""Helpers that the MONAI bundles call from their configs: settings checks, datalists, checkpoints, inference outputs."""

from __future__ import annotations

from .attach import attach_handlers
from .checkpoints import latest_checkpoint
from .datalists import IMAGE_SUFFIXES, datalist_path, list_images, load_datalist
from .load_network import load_network
from .match_channels import MatchChanneld, match_channels
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
    "latest_checkpoint",
    "list_images",
    "load_datalist",
    "load_network",
    "mask_column",
    "match_channels",
    "required_setting",
    "size_divisor",
]
