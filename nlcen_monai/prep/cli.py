# Copyright (c) nlcen-monai contributors
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#     http://www.apache.org/licenses/LICENSE-2.0
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.
"""The command-line options every converter shares: ``--out``, ``--size`` and ``--mask-threshold``.

The scripts under ``data_prep/`` build their parsers from these, so that the options read and
behave the same in each of them.
"""

from __future__ import annotations

import argparse

__all__ = ["parse_size", "add_output_arguments", "add_mask_arguments"]


def parse_size(text: str) -> int | None:
    """``argparse`` type for ``--size``: a positive integer, or ``original`` (returns ``None``)."""
    if text.lower() in ("original", "orig", "none", "0"):
        return None
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--size must be a positive integer or 'original', got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"--size must be a positive integer or 'original', got {text!r}")
    return value


def add_output_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--out`` and ``--size`` to a converter's parser."""
    parser.add_argument(
        "--out",
        required=True,
        help="output folder (images/, masks/, datalist.json). A rerun into the same folder replaces the data set: "
        "files in images/ and masks/ that the new datalist does not list (cases of the earlier run that are gone "
        "or now fail) are deleted. A folder whose images/ or masks/ hold files but that has no datalist.json is "
        "refused, as is a path that is an existing file",
    )
    parser.add_argument(
        "--size",
        type=parse_size,
        default=256,
        help="side length of the square output images (default 256; a non-square image is stretched to the "
        "square, as in the paper), or 'original' to keep each image's size",
    )


def add_mask_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--mask-threshold`` to a converter's parser."""
    parser.add_argument(
        "--mask-threshold",
        type=float,
        default=None,
        metavar="T",
        help="binarise every mask as foreground = value > T, T in the mask's own stored values (e.g. 127 for "
        "soft-edged 0..255 masks, 0 for hand-drawn masks with levels 0, 1, 2, 3); the summary names each mask "
        "whose soft pixels (strictly between its lowest and highest value) were changed, and their total. "
        "Without it a mask must be binary: 0/1, 0/255, 0/65535 (0/max of its type) or boolean. With or "
        "without it, an empty or full mask is rejected. An RGBA mask whose colour is constant is read from "
        "its alpha channel; one whose colour and alpha both vary and differ is rejected",
    )
