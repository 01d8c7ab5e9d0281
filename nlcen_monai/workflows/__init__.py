"""Helpers that the MONAI bundles call from their configs: datalists, checkpoints, inference outputs."""

from __future__ import annotations

from .checkpoints import latest_checkpoint
from .datalists import IMAGE_SUFFIXES, list_images, load_datalist
from .segmentation_writer import SaveSegmentationd, WrittenFilesCSV
from .attach import attach_handlers
from .match_channels import MatchChanneld, match_channels
from .freeze import freeze_by_prefix, instantiate_and_freeze, load_and_freeze, load_init_checkpoint
