"""Data for nlcen-monai: JSRT raw reader, converters' building blocks, synthetic phantoms, transforms, the atomic writer."""

from __future__ import annotations

from nlcen_monai.data.atomic import atomic_write, atomic_write_json, atomic_write_png, atomic_write_text
from nlcen_monai.data.channels import choose_channels, convert_channels, majority_channels, probe_channels
from nlcen_monai.data.conversion import Case, ConversionResult, run_conversion
from nlcen_monai.data.dataset_writer import DatasetWriter, resize_pair
from nlcen_monai.data.file_index import find_subfolder, index_folder, split_name
from nlcen_monai.data.image_io import read_image_2d, read_mask_2d, read_mask_values, to_uint8
from nlcen_monai.data.jsrt_raw import JSRT_INVERT, JSRT_SHAPE, jsrt_to_grey, lungs_are_dark, read_jsrt_raw
from nlcen_monai.data.jsrt_reader import JSRTImageReader
from nlcen_monai.data.pair_check import CheckImageLabeld
from nlcen_monai.data.pair_reader import PairReader
from nlcen_monai.data.phantoms import chest_phantom, lesion_phantom
from nlcen_monai.data.synthetic import make_synthetic_dataset
from nlcen_monai.data.transforms import isbi2016_transforms, jsrt_transforms, pixel_domain_transforms
from nlcen_monai.data.validation import (
    BadInputError,
    binary_levels,
    check_binary_mask,
    check_finite,
    check_mask_not_trivial,
    check_not_constant,
    check_pair_shapes,
    threshold_mask,
)

__all__ = [
    "JSRTImageReader",
    "JSRT_SHAPE",
    "JSRT_INVERT",
    "read_jsrt_raw",
    "jsrt_to_grey",
    "lungs_are_dark",
    "chest_phantom",
    "lesion_phantom",
    "make_synthetic_dataset",
    "jsrt_transforms",
    "isbi2016_transforms",
    "pixel_domain_transforms",
    "CheckImageLabeld",
    "DatasetWriter",
    "resize_pair",
    "Case",
    "ConversionResult",
    "run_conversion",
    "PairReader",
    "probe_channels",
    "majority_channels",
    "choose_channels",
    "convert_channels",
    "split_name",
    "index_folder",
    "find_subfolder",
    "read_image_2d",
    "read_mask_values",
    "read_mask_2d",
    "to_uint8",
    "atomic_write",
    "atomic_write_png",
    "atomic_write_json",
    "atomic_write_text",
    "BadInputError",
    "binary_levels",
    "check_binary_mask",
    "threshold_mask",
    "check_mask_not_trivial",
    "check_not_constant",
    "check_pair_shapes",
    "check_finite",
]
