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
Suffixes are matched in any case (``.PNG``, ``.Jpg``). Raster formats are read with PIL (by content, so
a JPEG named ``.png`` is read as the JPEG it is), NIfTI with nibabel, the others (DICOM, NRRD,
MetaImage) with ITK. Images that are not 8-bit are stretched linearly from their own min..max to 0..255.
The train/test split is random and seeded (MONAI's ``partition_dataset``).

Channels: every written image has the same channel count: ``--channels``, or else the count most
images have (grey or RGB; RGB on a tie). The other images are converted (grey repeated to RGB, RGB
to grey luma) and named in the summary.

Masks must be binary (0/1, 0/255, 0/65535, boolean) unless ``--mask-threshold T`` is given (e.g.
hand-drawn masks with soft edges). An RGBA mask with constant colour is read from its alpha channel.
Empty or full masks and constant images are rejected. Bad cases are reported by file name, the others
are converted, and the exit status is 1.

Example (from the repository root)::

    python data_prep/folder.py --image-dir scans/ --mask-suffix _seg --test-fraction 0.2 --seed 0 --out data/mine
    python data_prep/folder.py --image-dir imgs/ --mask-dir labels/ --out data/mine --channels 1
    python data_prep/folder.py --image-dir cxr/ --mask-suffix @ --mask-threshold 0 --out data/cxr
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from monai.data import partition_dataset

from nlcen_monai.data.channels import choose_channels
from nlcen_monai.data.conversion import Case, ConversionResult, add_mask_arguments, add_output_arguments, fail, run_conversion
from nlcen_monai.data.dataset_writer import DatasetWriter
from nlcen_monai.data.file_index import IMAGE_SUFFIXES, index_folder, split_name
from nlcen_monai.data.pair_reader import PairReader

__all__ = ["IMAGE_SUFFIXES", "split_name", "list_folder_pairs", "main"]


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
    if mask_suffix is None:
        mask_suffix = "_mask" if mask_dir is None else ""
    if mask_dir is None and not mask_suffix:
        raise ValueError("masks in the image folder need a non-empty --mask-suffix.")
    files, problems = index_folder(image_dir)
    if mask_dir is None:
        masks = {n[: -len(mask_suffix)]: p for n, p in files.items() if n.endswith(mask_suffix)}
        images = {n: p for n, p in files.items() if not n.endswith(mask_suffix)}
    else:
        images = files
        mask_files, clashes = index_folder(mask_dir)
        problems += clashes
        masks = {n[: len(n) - len(mask_suffix)]: p for n, p in mask_files.items() if n.endswith(mask_suffix)}
        problems += [f"{p}: not an image/mask pair name (no suffix {mask_suffix!r})." for n, p in mask_files.items() if not n.endswith(mask_suffix)]
    problems += [f"{masks[n]}: mask without an image." for n in sorted(masks.keys() - images.keys())]
    problems += [f"{images[n]}: no mask (expected a file named {n}{mask_suffix}.<ext> in {mask_dir or image_dir})." for n in sorted(images.keys() - masks.keys())]
    pairs = {n: (images[n], masks[n]) for n in sorted(images.keys() & masks.keys())}
    return pairs, problems


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
        "--channels",
        type=int,
        choices=(1, 3),
        default=None,
        help="convert every image to 1 (grey) or 3 (RGB) channels (default: the count most images have, RGB on a "
        "tie; the images converted are named in the summary)",
    )
    add_mask_arguments(parser)
    add_output_arguments(parser)
    return parser


def convert(args: argparse.Namespace) -> ConversionResult:
    """Run the conversion described by parsed command-line ``args``."""
    for folder in (args.image_dir, args.mask_dir):
        if folder is not None and not folder.is_dir():
            return fail(f"{folder}: folder not found.")
    if not 0.0 <= args.test_fraction < 1.0:
        return fail(f"--test-fraction must be in [0, 1), got {args.test_fraction}.")
    try:
        pairs, problems = list_folder_pairs(args.image_dir, args.mask_dir, args.mask_suffix)
    except ValueError as e:
        return fail(str(e))
    names = list(pairs)
    if args.test_fraction > 0 and len(names) > 1:
        train, test = partition_dataset(names, ratios=[1 - args.test_fraction, args.test_fraction], shuffle=True, seed=args.seed)
    else:
        train, test = names, []
    split = {**{n: "training" for n in train}, **{n: "test" for n in test}}
    channels, reason = choose_channels([pairs[n][0] for n in names], args.channels)
    reader = PairReader(channels, args.mask_threshold, channels_reason=reason)
    cases = [Case(n, split[n], lambda i=pairs[n][0], m=pairs[n][1]: reader.pair(i, m)) for n in names]
    writer = DatasetWriter(
        args.out, size=args.size, name=args.image_dir.name, description=f"image/mask pairs from {args.image_dir}"
    )
    extra = {"split": {"test_fraction": args.test_fraction, "seed": args.seed}}
    source = str(args.image_dir) + (f" and {args.mask_dir}" if args.mask_dir else "")
    return run_conversion(cases, writer, problems, extra=extra, source=source, reader=reader)


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv``, convert, return the exit status (non-zero when any case was bad)."""
    return convert(build_parser().parse_args(argv)).exit_code


if __name__ == "__main__":
    sys.exit(main())
