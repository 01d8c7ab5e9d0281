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
"""The JSRT layouts as converter cases: the SCR split, both input layouts, the display polarity.

Two layouts: the original release (``<case>.IMG`` raw files and the SCR ``.gif`` masks, one per
lung, on a grid half the image's) and a PNG copy (``images/<case>.png``, ``masks/<case>.png``). Lung
= left OR right. Split (SCR folds): odd case numbers for training, even for test. Every case's
polarity is checked against its mask (lungs must be darker than the body around them) and inverted
when it is not. ``data_prep/jsrt.py`` is the command line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from nlcen_monai.data.checks import BadInputError
from nlcen_monai.data.jsrt_raw import JSRT_INVERT, JSRT_SHAPE, jsrt_to_grey, lungs_are_dark, read_jsrt_raw
from nlcen_monai.prep.conversion import Case, ConversionResult, fail, run_conversion
from nlcen_monai.prep.dataset_writer import DatasetWriter
from nlcen_monai.prep.file_index import index_folder
from nlcen_monai.prep.pair_reader import PairReader
from nlcen_monai.prep.validation import check_pair_shapes

__all__ = ["jsrt_split", "grey_reader", "list_png_cases", "list_raw_cases", "convert_jsrt"]

CASE_PATTERN = re.compile(r"^JPC(LN|NN)(\d{3})$", re.IGNORECASE)
LUNGS = ("left lung", "right lung")
FOLDS = ("fold1", "fold2")


def jsrt_split(case: str) -> str:
    """``"training"`` for an odd case number (SCR fold 1), ``"test"`` for an even one.

    Args:
        case: a JSRT case name such as ``JPCLN001`` or ``JPCNN042``.
    """
    match = CASE_PATTERN.match(case)
    if match is None:
        raise BadInputError(f"{case}: not a JSRT case name (expected JPCLNnnn or JPCNNnnn).")
    return "training" if int(match.group(2)) % 2 == 1 else "test"


def _dark_lungs(grey: np.ndarray, mask: np.ndarray, inverted: np.ndarray, name: str, notes: list[str]) -> np.ndarray:
    """``grey`` if its lungs are dark, else ``inverted`` (noted); the mask may be on a coarser grid."""
    if lungs_are_dark(grey, mask):
        return grey
    notes.append(name)
    return inverted


def grey_reader(mask_threshold: float | None = None) -> PairReader:
    """The reader of both layouts: grey images (RGB only with equal channels), masks as ``--mask-threshold`` says.

    Args:
        mask_threshold: ``None`` for binary masks, else foreground = value > ``mask_threshold``.
    """
    return PairReader(1, mask_threshold, channels_reason="radiographs are grey", colour_to_grey=False)


def list_png_cases(png_dir: Path, notes: list[str], reader: PairReader | None = None) -> tuple[list[Case], list[str]]:
    """Cases of the PNG layout (``images/<case>.png`` + ``masks/<case>.png``) and pairing problems.

    Args:
        png_dir: the folder holding ``images/`` and ``masks/``.
        notes: receives the names of cases whose polarity had to be inverted.
        reader: reads the pairs (default :func:`grey_reader`).
    """
    reader = reader or grey_reader()
    images, problems = index_folder(png_dir / "images", (".png",))
    masks, clashes = index_folder(png_dir / "masks", (".png",))
    problems += clashes + [f"{masks[n]}: mask without an image (expected {png_dir / 'images' / (n + '.png')})." for n in masks.keys() - images.keys()]
    cases = []
    for name, image_path in images.items():
        if name not in masks:
            problems.append(f"{image_path}: no mask (expected {png_dir / 'masks' / (name + '.png')}).")
            continue
        try:
            split = jsrt_split(name)
        except BadInputError as e:
            problems.append(f"{image_path}: {e}")
            continue

        def load(image_path=image_path, mask_path=masks[name], name=name):
            image, mask = reader.pair(image_path, mask_path)
            return _dark_lungs(image, mask, 255 - image, name, notes), mask

        cases.append(Case(name, split, load))
    return cases, sorted(problems)


def list_raw_cases(
    jsrt_dir: Path, scr_dir: Path, shape: tuple[int, int], notes: list[str], reader: PairReader | None = None
) -> tuple[list[Case], list[str]]:
    """Cases of the original layout (``<case>.IMG`` + SCR ``.gif`` masks) and pairing problems.

    Args:
        jsrt_dir: folder of ``.IMG`` files.
        scr_dir: SCR folder holding ``fold1|fold2/masks/{left lung,right lung}/<case>.gif``.
        shape: rows and columns of each ``.IMG`` file.
        notes: receives the names of cases whose mask contradicts the JSRT polarity convention.
        reader: reads the masks (default :func:`grey_reader`).
    """
    reader = reader or grey_reader()
    images, problems = index_folder(jsrt_dir, (".img",))
    masks: dict[str, dict[str, list[Path]]] = {}
    for fold in FOLDS:
        for lung in LUNGS:
            found_masks, clashes = index_folder(scr_dir / fold / "masks" / lung, (".gif",))
            problems += clashes
            for stem, p in found_masks.items():
                masks.setdefault(stem, {}).setdefault(lung, []).append(p)
    problems += [
        f"{paths[0]}: mask without an image (no {n}.IMG in {jsrt_dir})."
        for n, by_lung in masks.items()
        if n not in images
        for paths in by_lung.values()
    ]
    cases = []
    for name, image_path in images.items():
        try:
            split = jsrt_split(name)
            found = masks.get(name, {})
            for lung in LUNGS:
                if not found.get(lung):
                    raise BadInputError(
                        f"{image_path}: no {lung} mask (expected {scr_dir}/fold1|fold2/masks/{lung}/{name}.gif)."
                    )
                if len(found[lung]) > 1:
                    raise BadInputError(f"{found[lung][1]}: duplicate {lung} mask (also {found[lung][0]}).")
        except BadInputError as e:
            problems.append(str(e))
            continue

        def load(image_path=image_path, left=found[LUNGS[0]][0], right=found[LUNGS[1]][0], name=name):
            raw = read_jsrt_raw(image_path, shape)
            left_mask, right_mask = reader.mask(left), reader.mask(right)
            check_pair_shapes(left_mask.shape, right_mask.shape, left, right)
            mask = left_mask | right_mask
            check_pair_shapes(raw.shape, mask.shape, image_path, left, allow_integer_scale=True)
            grey = jsrt_to_grey(raw, JSRT_INVERT)
            return _dark_lungs(grey, mask, jsrt_to_grey(raw, not JSRT_INVERT), name, notes), mask

        cases.append(Case(name, split, load))
    return cases, sorted(problems)


def convert_jsrt(
    out: Path | str,
    size: int | None = 256,
    png_dir: Path | str | None = None,
    jsrt_dir: Path | str | None = None,
    scr_dir: Path | str | None = None,
    img_size: Sequence[int] = JSRT_SHAPE,
    mask_threshold: float | None = None,
) -> ConversionResult:
    """Convert one of the two layouts (``png_dir``, or ``jsrt_dir`` with ``scr_dir``) into ``out``.

    Args:
        out: the output folder (``images/``, ``masks/``, ``datalist.json``).
        size: side of the square output images, or ``None`` to keep each image's size.
        png_dir: the PNG layout's folder (``images/``, ``masks/``).
        jsrt_dir: the original layout's folder of ``.IMG`` files.
        scr_dir: the SCR folder, with ``jsrt_dir``.
        img_size: rows [and columns] of each ``.IMG`` file (2048 x 2048; smaller only for test fixtures).
        mask_threshold: ``None`` for binary masks, else foreground = value > ``mask_threshold``.
    """
    notes: list[str] = []
    reader = grey_reader(mask_threshold)
    if png_dir is not None:
        png_dir = Path(png_dir)
        if not (png_dir / "images").is_dir():
            return fail(f"{png_dir / 'images'}: folder not found (expected the PNG layout images/, masks/).")
        cases, problems = list_png_cases(png_dir, notes, reader)
        source = f"PNG copy {png_dir}"
        folders = f"{png_dir / 'images'} and {png_dir / 'masks'}"
    else:
        if jsrt_dir is None:
            return fail("give --png-dir, or --jsrt-dir with --scr-dir.")
        if scr_dir is None:
            return fail("--jsrt-dir needs --scr-dir (the SCR masks).")
        jsrt_dir, scr_dir = Path(jsrt_dir), Path(scr_dir)
        if not jsrt_dir.is_dir():
            return fail(f"{jsrt_dir}: folder not found.")
        shape = tuple(img_size) if len(img_size) == 2 else (img_size[0],) * 2
        cases, problems = list_raw_cases(jsrt_dir, scr_dir, shape, notes, reader)
        source = f"JSRT raw {jsrt_dir} + SCR {scr_dir}"
        folders = f"{jsrt_dir} and {scr_dir}"
    writer = DatasetWriter(
        out,
        size=size,
        name="JSRT",
        description=f"JSRT chest radiographs with SCR lung masks from {source}; SCR split (odd = training).",
        labels={"0": "background", "1": "lung"},
    )
    result = run_conversion(cases, writer, problems, extra={"polarity_inverted": notes}, source=folders, reader=reader)
    if notes:
        print(f"polarity: {len(notes)} case(s) had bright lungs and were inverted: {', '.join(sorted(notes))}")
    return result
