"""What a bundle reads and writes at run time: datalists, the JSRT ``.IMG`` reader, the transform chains
(with the checks they apply, the grey-level rule, the DICOM radiograph reader, channel matching and the
segmentation writer), the sampler that shards a resumed evaluation's pending images evenly, and seeded
synthetic phantoms.

Writing data sets (the converters of ``data_prep/`` and ``make_synthetic_dataset``) is
:mod:`nlcen_monai.prep`'s job.
"""

from __future__ import annotations

from .checks import BadInputError, check_finite, check_not_constant
from .datalists import datalist_path, list_images, load_datalist
from .dicom_reader import RadiographDicomReader, display_grey_levels
from .evaluation_subsets import SELECTION_EVERY, evaluation_subset, split_test_list
from .grey_levels import GreyLevelsd, to_uint8
from .jsrt_raw import JSRT_INVERT, JSRT_SHAPE, jsrt_to_grey, lungs_are_dark, read_jsrt_raw
from .jsrt_reader import JSRTImageReader
from .match_channels import MatchChanneld, match_channels
from .pair_check import CheckImageLabeld
from .pending_first_sampler import PendingFirstSampler
from .planar import EnsurePlanard
from .phantoms import chest_phantom, lesion_phantom
from .segmentation_writer import WRITTEN_KEY, SaveSegmentationd, mask_column
from .suffixes import DICOM_SUFFIXES, IMAGE_SUFFIXES, case_id, split_name
from .transforms import (
    inference_transforms,
    isbi2016_transforms,
    jsrt_transforms,
    load_image_transforms,
    pixel_domain_transforms,
)

__all__ = [
    "IMAGE_SUFFIXES",
    "case_id",
    "split_name",
    "datalist_path",
    "list_images",
    "load_datalist",
    "SELECTION_EVERY",
    "evaluation_subset",
    "split_test_list",
    "PendingFirstSampler",
    "JSRTImageReader",
    "RadiographDicomReader",
    "DICOM_SUFFIXES",
    "display_grey_levels",
    "to_uint8",
    "GreyLevelsd",
    "EnsurePlanard",
    "load_image_transforms",
    "JSRT_SHAPE",
    "JSRT_INVERT",
    "read_jsrt_raw",
    "jsrt_to_grey",
    "lungs_are_dark",
    "chest_phantom",
    "lesion_phantom",
    "jsrt_transforms",
    "isbi2016_transforms",
    "pixel_domain_transforms",
    "inference_transforms",
    "CheckImageLabeld",
    "MatchChanneld",
    "match_channels",
    "SaveSegmentationd",
    "mask_column",
    "WRITTEN_KEY",
    "BadInputError",
    "check_finite",
    "check_not_constant",
]
