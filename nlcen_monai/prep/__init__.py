"""The converters' toolkit: read any image/mask file, check it, and write a data set with its datalist.

One module per step (reading, checks, channels, file names, the writer, the conversion loop, the
shared command-line options) and one per data set layout (JSRT, ISBI 2016, any folder, synthetic
phantoms). The scripts under ``data_prep/`` are thin command lines over it; bundles read what it
writes with :mod:`nlcen_monai.data`.
"""

from __future__ import annotations

from .channels import choose_channels, convert_channels, majority_channels, probe_channels
from .conversion import Case, ConversionResult, fail, run_conversion
from .dataset_writer import DATALIST_NAME, DatasetWriter, resize_pair
from .file_index import SOURCE_SUFFIXES, find_subfolder, index_folder
from .folder import convert_folder, list_folder_pairs
from .image_io import read_image_2d, read_mask_2d, read_mask_values
from .isbi2016 import convert_isbi2016, list_isbi_cases
from .jsrt import convert_jsrt, jsrt_split, list_png_cases, list_raw_cases
from .pair_reader import PairReader
from .synthetic import SYNTHETIC_KINDS, make_synthetic_dataset
from .validation import binary_levels, check_binary_mask, check_mask_not_trivial, check_pair_shapes, threshold_mask

__all__ = [
    "DATALIST_NAME",
    "SOURCE_SUFFIXES",
    "SYNTHETIC_KINDS",
    "Case",
    "ConversionResult",
    "DatasetWriter",
    "PairReader",
    "binary_levels",
    "check_binary_mask",
    "check_mask_not_trivial",
    "check_pair_shapes",
    "choose_channels",
    "convert_channels",
    "convert_folder",
    "convert_isbi2016",
    "convert_jsrt",
    "fail",
    "find_subfolder",
    "index_folder",
    "jsrt_split",
    "list_folder_pairs",
    "list_isbi_cases",
    "list_png_cases",
    "list_raw_cases",
    "majority_channels",
    "make_synthetic_dataset",
    "probe_channels",
    "read_image_2d",
    "read_mask_2d",
    "read_mask_values",
    "resize_pair",
    "run_conversion",
    "threshold_mask",
]
