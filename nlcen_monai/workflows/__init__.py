"""Helpers that the MONAI bundles call from their configs: datalists, checkpoints, freezing, inference outputs."""

from __future__ import annotations

from .attach import attach_handlers
from .checkpoints import latest_checkpoint
from .datalists import IMAGE_SUFFIXES, list_images, load_datalist
from .freeze import freeze_by_prefix, instantiate_and_freeze, load_and_freeze, load_init_checkpoint
from .match_channels import MatchChanneld, match_channels
from .segmentation_writer import SaveSegmentationd, WrittenFilesCSV

__all__ = [
    "IMAGE_SUFFIXES",
    "MatchChanneld",
    "SaveSegmentationd",
    "WrittenFilesCSV",
    "attach_handlers",
    "freeze_by_prefix",
    "instantiate_and_freeze",
    "latest_checkpoint",
    "list_images",
    "load_and_freeze",
    "load_datalist",
    "load_init_checkpoint",
    "match_channels",
]
