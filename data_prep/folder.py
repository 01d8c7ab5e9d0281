#!/usr/bin/env python
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
"""Convert any folder of image/mask pairs (PNG, JPEG, BMP, TIFF, NIfTI, DICOM, ...) into a MONAI datalist.

Pairs are matched by name: ``<name><ext>`` with ``<name><mask-suffix><ext2>``, either in one folder
(e.g. ``case1.png`` + ``case1_mask.png``, the default suffix ``_mask``) or in separate folders
(``--mask-dir``, where the suffix defaults to nothing: ``images/case1.png`` + ``masks/case1.png``).
Raster formats are read with PIL, NIfTI with nibabel, the others (DICOM, NRRD, MetaImage) with ITK. Images
that are not 8-bit are stretched linearly from their own min..max to 0..255. Masks must be binary
({0, 1} or {0, 255}). The train/test split is random and seeded (MONAI's ``partition_dataset``).

Example (from the repository root)::

    python data_prep/folder.py --image-dir scans/ --mask-suffix _seg --test-fraction 0.2 --seed 0 --out data/mine
    python data_prep/folder.py --image-dir imgs/ --mask-dir labels/ --out data/mine --channels 1
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from monai.data import partition_dataset
from PIL import Image

from nlcen_monai.data.conversion import Case, ConversionResult, add_output_arguments, run_conversion
from nlcen_monai.data.dataset_writer import DatasetWriter
from nlcen_monai.data.image_io import RASTER_SUFFIXES, read_image_2d, read_mask_2d, to_uint8
from nlcen_monai.data.validation import check_pair_shapes

__all__ = ["IMAGE_SUFFIXES", "split_name", "list_folder_pairs", "main"]

IMAGE_SUFFIXES = RASTER_SUFFIXES + (".nii.gz", ".nii", ".dcm", ".dicom", ".nrrd", ".nhdr", ".mha", ".mhd")


def split_name(path: Path) -> tuple[str, str] | None:
    """``(stem, suffix)`` of a supported image file (``.nii.gz`` counts as one suffix), else ``None``.

    Args:
        path: a file path.
    """
    lower = path.name.lower()
    for suffix in IMAGE_SUFFIXES:
        if lower.endswith(suffix) and len(lower) > len(suffix):
            return path.name[: -len(suffix)], suffix
    return None


def _index(folder: Path, problems: list[str]) -> dict[str, Path]:
    """Supported files of ``folder`` by stem; two files with one stem are a problem."""
    found: dict[str, Path] = {}
    for p in sorted(folder.iterdir()):
        parts = split_name(p) if p.is_file() and not p.name.startswith(".") else None
        if parts is None:
            continue
        if parts[0] in found:
            problems.append(f"{p}: same name as {found[parts[0]]}; cannot tell which one to pair.")
            continue
        found[parts[0]] = p
    return found


def list_folder_pairs(
    image_dir: Path, mask_dir: Path | None = None, mask_suffix: str | None = None
) -> tuple[dict[str, tuple[Path, Path]], list[str]]:
    """Pair images with masks by name; return the pairs by name and the pairing problems.

    Args:
        image_dir: folder of images (and of masks when ``mask_dir`` is ``None``).
        mask_dir: folder of masks, or ``None`` for masks beside the images.
        mask_suffix: text after the image name in a mask's name; default ``"_mask"`` in one
            folder, ``""`` with a separate ``mask_dir``.
    """
    problems: list[str] = []
    if mask_suffix is None:
        mask_suffix = "_mask" if mask_dir is None else ""
    if mask_dir is None and not mask_suffix:
        raise ValueError("masks in the image folder need a non-empty --mask-suffix.")
    files = _index(image_dir, problems)
    if mask_dir is None:
        masks = {n[: -len(mask_suffix)]: p for n, p in files.items() if n.endswith(mask_suffix)}
        images = {n: p for n, p in files.items() if not n.endswith(mask_suffix)}
    else:
        images = files
        mask_files = _index(mask_dir, problems)
        masks = {n[: len(n) - len(mask_suffix)]: p for n, p in mask_files.items() if n.endswith(mask_suffix)}
        problems += [f"{p}: not an image/mask pair name (no suffix {mask_suffix!r})." for n, p in mask_files.items() if not n.endswith(mask_suffix)]
    problems += [f"{masks[n]}: mask without an image." for n in sorted(masks.keys() - images.keys())]
    problems += [f"{images[n]}: no mask (expected a file named {n}{mask_suffix}.<ext> in {mask_dir or image_dir})." for n in sorted(images.keys() - masks.keys())]
    pairs = {n: (images[n], masks[n]) for n in sorted(images.keys() & masks.keys())}
    return pairs, problems


def load_pair(image_path: Path, mask_path: Path, channels: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Read one pair as a uint8 image (with ``channels`` channels if given) and a boolean mask.

    Args:
        image_path: the image file.
        mask_path: its mask.
        channels: 1 (grey), 3 (RGB) or ``None`` (as stored).
    """
    image = to_uint8(read_image_2d(image_path), image_path)
    if channels == 1 and image.ndim == 3:
        image = np.asarray(Image.fromarray(image).convert("L"))
    elif channels == 3 and image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=-1)
    mask = read_mask_2d(mask_path)
    check_pair_shapes(image.shape, mask.shape, image_path, mask_path)
    return image, mask


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = argparse.ArgumentParser(
        prog="python data_prep/folder.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--image-dir", type=Path, required=True, help="folder of images (and masks, without --mask-dir)")
    parser.add_argument("--mask-dir", type=Path, default=None, help="separate folder of masks (optional)")
    parser.add_argument(
        "--mask-suffix", default=None, help="mask name = image name + this (default '_mask', or '' with --mask-dir)"
    )
    parser.add_argument("--test-fraction", type=float, default=0.2, help="fraction of pairs in the test split (default 0.2)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random split (default 0)")
    parser.add_argument(
        "--channels", type=int, choices=(1, 3), default=None, help="convert every image to 1 (grey) or 3 (RGB) channels"
    )
    add_output_arguments(parser)
    return parser


def convert(args: argparse.Namespace) -> ConversionResult:
    """Run the conversion described by parsed command-line ``args``."""
    for folder in (args.image_dir, args.mask_dir):
        if folder is not None and not folder.is_dir():
            return _fail(f"{folder}: folder not found.")
    if not 0.0 <= args.test_fraction < 1.0:
        return _fail(f"--test-fraction must be in [0, 1), got {args.test_fraction}.")
    try:
        pairs, problems = list_folder_pairs(args.image_dir, args.mask_dir, args.mask_suffix)
    except ValueError as e:
        return _fail(str(e))
    names = list(pairs)
    if args.test_fraction > 0 and len(names) > 1:
        train, test = partition_dataset(names, ratios=[1 - args.test_fraction, args.test_fraction], shuffle=True, seed=args.seed)
    else:
        train, test = names, []
    split = {**{n: "training" for n in train}, **{n: "test" for n in test}}
    cases = [
        Case(n, split[n], lambda i=pairs[n][0], m=pairs[n][1]: load_pair(i, m, args.channels)) for n in names
    ]
    writer = DatasetWriter(
        args.out, size=args.size, name=args.image_dir.name, description=f"image/mask pairs from {args.image_dir}"
    )
    extra = {"split": {"test_fraction": args.test_fraction, "seed": args.seed}}
    return run_conversion(cases, writer, problems, extra=extra)


def _fail(message: str) -> ConversionResult:
    print(f"error: {message}", file=sys.stderr)
    return ConversionResult(problems=[message])


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv``, convert, return the exit status (non-zero when any case was bad)."""
    return convert(build_parser().parse_args(argv)).exit_code


if __name__ == "__main__":
    sys.exit(main())
