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
"""Any folder of image/mask pairs as converter cases: pairs matched by name, a seeded random split.

Pairs are ``<name><ext>`` with ``<name><mask-suffix><ext2>``, in one folder or in separate image and
mask folders, suffixes matched in any case; every format :func:`~nlcen_monai.prep.image_io.read_image_2d`
reads. ``data_prep/folder.py`` is the command line.
"""

from __future__ import annotations

from pathlib import Path

from monai.data import partition_dataset

from nlcen_monai.prep.channels import choose_channels
from nlcen_monai.prep.conversion import Case, ConversionResult, fail, run_conversion
from nlcen_monai.prep.dataset_writer import DatasetWriter
from nlcen_monai.prep.file_index import index_folder
from nlcen_monai.prep.pair_reader import PairReader

__all__ = ["list_folder_pairs", "convert_folder"]


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


def convert_folder(
    out: Path | str,
    image_dir: Path | str,
    mask_dir: Path | str | None = None,
    mask_suffix: str | None = None,
    test_fraction: float = 0.2,
    seed: int = 0,
    channels: int | None = None,
    size: int | None = 256,
    mask_threshold: float | None = None,
) -> ConversionResult:
    """Convert the image/mask pairs of ``image_dir`` (and ``mask_dir``) into ``out`` with a seeded random split.

    Args:
        out: the output folder (``images/``, ``masks/``, ``datalist.json``).
        image_dir: folder of images (and of masks without ``mask_dir``).
        mask_dir: separate folder of masks, or ``None``.
        mask_suffix: mask name = image name + this (see :func:`list_folder_pairs`).
        test_fraction: fraction of the pairs in the test split, in [0, 1]: 0 puts every pair in
            "training", 1 every pair in "test" (a labelled set to evaluate a trained model on; the
            datalist's "training" is then empty and a training run on it stops at ``load_datalist``).
        seed: seed of the split (MONAI's ``partition_dataset``).
        channels: 1 or 3 for every image, or ``None`` for the count most images have.
        size: side of the square output images, or ``None`` to keep each image's size.
        mask_threshold: ``None`` for binary masks, else foreground = value > ``mask_threshold``.
    """
    image_dir, mask_dir = Path(image_dir), None if mask_dir is None else Path(mask_dir)
    for folder in (image_dir, mask_dir):
        if folder is not None and not folder.is_dir():
            return fail(f"{folder}: folder not found.")
    if not 0.0 <= test_fraction <= 1.0:
        return fail(f"--test-fraction must be in [0, 1], got {test_fraction}.")
    try:
        pairs, problems = list_folder_pairs(image_dir, mask_dir, mask_suffix)
    except ValueError as e:
        return fail(str(e))
    names = list(pairs)
    if test_fraction == 1.0:  # every pair a test case: an external validation set, nothing to train on
        train, test = [], names
    elif test_fraction > 0 and len(names) > 1:
        train, test = partition_dataset(names, ratios=[1 - test_fraction, test_fraction], shuffle=True, seed=seed)
    else:
        train, test = names, []
    split = {**{n: "training" for n in train}, **{n: "test" for n in test}}
    channels, reason = choose_channels([pairs[n][0] for n in names], channels)
    reader = PairReader(channels, mask_threshold, channels_reason=reason)
    cases = [Case(n, split[n], lambda i=pairs[n][0], m=pairs[n][1]: reader.pair(i, m)) for n in names]
    writer = DatasetWriter(out, size=size, name=image_dir.name, description=f"image/mask pairs from {image_dir}")
    extra = {"split": {"test_fraction": test_fraction, "seed": seed}}
    source = str(image_dir) + (f" and {mask_dir}" if mask_dir else "")
    return run_conversion(cases, writer, problems, extra=extra, source=source, reader=reader)
