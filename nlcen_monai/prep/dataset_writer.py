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
"""Write image/mask pairs and a decathlon-style ``datalist.json`` that MONAI loads directly.

Layout under the output folder::

    images/<name>.png   uint8 grey (H, W) or RGB (H, W, 3), grey levels 0..255
    masks/<name>.png    uint8 {0, 1}
    datalist.json       {"training": [{"image": "images/<name>.png", "label": "masks/<name>.png"}, ...],
                         "test": [...], ...}  (paths relative to the datalist's folder)

Read it back with ``monai.data.load_decathlon_datalist(out / "datalist.json", data_list_key="training")``.

A rerun into the same folder replaces it: :meth:`DatasetWriter.remove_unlisted` deletes the files of
``images/`` and ``masks/`` that the new datalist does not list (cases of an earlier run that are gone
or now fail), so that the folder holds exactly the data set its datalist describes. To make that safe,
:meth:`DatasetWriter.check_out_dir` refuses a folder whose ``images/`` or ``masks/`` hold files but
which has no ``datalist.json``: it was not written by a converter, and its files may be someone's data.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from nlcen_monai.data.checks import BadInputError
from nlcen_monai.utils.atomic import atomic_write_json, atomic_write_png

__all__ = ["SPLITS", "DATALIST_NAME", "SUBFOLDERS", "resize_pair", "DatasetWriter"]

SPLITS = ("training", "test")
DATALIST_NAME = "datalist.json"
SUBFOLDERS = ("images", "masks")


def resize_pair(image: np.ndarray, mask: np.ndarray, size: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Resize a uint8 image and a boolean mask to ``size`` x ``size`` (``None``: the image's own size).

    The image uses PIL's bilinear filter, which averages over the footprint when shrinking (area-like,
    no aliasing); the mask is resampled the same way and thresholded at one half, which keeps its
    outline smooth where nearest-neighbour sampling would alias.

    Args:
        image: uint8 (H, W) or (H, W, 3).
        mask: boolean (h, w); may be on a coarser grid than the image (e.g. SCR masks).
        size: the output side length, or ``None`` to keep the image's resolution.

    Returns:
        the uint8 image and the uint8 {0, 1} mask on the same grid.
    """
    height, width = image.shape[:2]
    target = (width, height) if size is None else (int(size), int(size))  # PIL sizes are (width, height)
    if (image.shape[1], image.shape[0]) != target:
        image = np.asarray(Image.fromarray(image).resize(target, Image.Resampling.BILINEAR))
    mask = mask.astype(np.uint8)
    if (mask.shape[1], mask.shape[0]) != target:
        scaled = Image.fromarray(mask * 255).resize(target, Image.Resampling.BILINEAR)
        mask = (np.asarray(scaled) >= 128).astype(np.uint8)
    return image, mask


class DatasetWriter:
    """Write cases as PNG pairs and, at the end, the datalist (every file atomically).

    Args:
        out_dir: output folder (created if needed).
        size: side length of the written images, or ``None`` to keep each image's resolution.
        name: dataset name stored in the datalist.
        description: free text stored in the datalist.
        labels: label names stored in the datalist, e.g. ``{"0": "background", "1": "lung"}``.
    """

    def __init__(
        self,
        out_dir: os.PathLike | str,
        size: int | None = 256,
        name: str = "",
        description: str = "",
        labels: dict[str, str] | None = None,
    ) -> None:
        if size is not None and int(size) < 1:
            raise ValueError(f"size must be a positive integer or None, got {size}.")
        self.out_dir = Path(out_dir)
        self.size = None if size is None else int(size)
        self.header = {
            "name": name,
            "description": description,
            "labels": labels or {"0": "background", "1": "foreground"},
        }
        self.entries: dict[str, list[dict[str, str]]] = {split: [] for split in SPLITS}

    def check_out_dir(self) -> None:
        """Raise if the output folder cannot take this data set (nothing is written).

        Refused: a path that is, or lies under, an existing file; ``images/`` or ``masks/`` that hold
        files while the folder has no ``datalist.json`` (not a converter's output, see the module docstring).

        Raises:
            BadInputError: naming the output folder and what is wrong with it.
        """
        existing = next(p for p in (self.out_dir, *self.out_dir.parents) if p.exists() or p == p.parent)
        if existing.exists() and not existing.is_dir():
            where = "is" if existing == self.out_dir else f"lies under {existing}, which is"
            raise BadInputError(f"{self.out_dir}: the output folder {where} an existing file; give --out a folder.")
        for sub in SUBFOLDERS:
            folder = self.out_dir / sub
            if folder.exists() and not folder.is_dir():
                raise BadInputError(f"{folder}: expected a folder in the output folder, found a file.")
        foreign = [p for sub in SUBFOLDERS if (self.out_dir / sub).is_dir() for p in (self.out_dir / sub).iterdir()]
        if foreign and not (self.out_dir / DATALIST_NAME).is_file():
            raise BadInputError(
                f"{self.out_dir}: images/ or masks/ already hold {len(foreign)} file(s) but there is no "
                f"{DATALIST_NAME}, so this is not the output of a converter and a rerun would mix or delete "
                "them; give --out a new or empty folder (or delete the folder if it is an interrupted conversion)."
            )

    def prepare(self) -> None:
        """Create the output folder and its ``images/`` and ``masks/``.

        Raises:
            BadInputError: the folders cannot be created (permissions, a file in the way).
        """
        try:
            for sub in SUBFOLDERS:
                (self.out_dir / sub).mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise BadInputError(f"{self.out_dir}: cannot create the output folder ({e.strerror or e}).") from e

    def remove_unlisted(self) -> list[Path]:
        """Delete the files of ``images/`` and ``masks/`` that the datalist does not list; return them.

        Call it after :meth:`write_datalist`: what it removes are the outputs of an earlier run (cases
        that are gone from the input, or that failed this time) and temporary files of a killed run.
        """
        listed = {e[key] for entries in self.entries.values() for e in entries for key in ("image", "label")}
        removed = []
        for sub in SUBFOLDERS:
            folder = self.out_dir / sub
            for p in sorted(folder.iterdir()) if folder.is_dir() else []:
                if f"{sub}/{p.name}" not in listed and (p.is_file() or p.is_symlink()):
                    p.unlink()
                    removed.append(p)
        return removed

    def write_case(self, split: str, name: str, image: np.ndarray, mask: np.ndarray) -> dict[str, str]:
        """Resize and write one pair, and remember it for the datalist.

        Args:
            split: ``"training"`` or ``"test"``.
            name: file stem of the outputs (unique within the dataset).
            image: uint8 (H, W) grey or (H, W, 3) RGB.
            mask: boolean or {0, 1} mask, on the image's grid or an integer fraction of it.

        Returns:
            the datalist entry, with paths relative to the output folder.
        """
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, got {split!r}.")
        image, mask = resize_pair(image, mask, self.size)
        entry = {"image": f"images/{name}.png", "label": f"masks/{name}.png"}
        atomic_write_png(self.out_dir / entry["image"], image)
        atomic_write_png(self.out_dir / entry["label"], mask)
        self.entries[split].append(entry)
        return entry

    def write_datalist(self, extra: dict[str, Any] | None = None) -> Path:
        """Write ``datalist.json`` (cases sorted by image path) and return its path.

        Args:
            extra: additional top-level keys (e.g. the parameters of a synthetic dataset).
        """
        lists = {split: sorted(entries, key=lambda e: e["image"]) for split, entries in self.entries.items()}
        content = {
            **self.header,
            "numTraining": len(lists["training"]),
            "numTest": len(lists["test"]),
            "size": self.size if self.size is not None else "original",
            **(extra or {}),
            **lists,
        }
        return atomic_write_json(self.out_dir / DATALIST_NAME, content)
