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
"""How plausible a predicted lung mask is: three measures, and a flag when one falls outside the training masks' range.

A model gives a mask for any input, also for a radiograph unlike its training images; these measures let a
clinic sort ``predictions.csv`` and look first at the masks most likely to be wrong:

- ``lung_fraction``: the share of the image that is lung;
- ``components``: the number of connected lung regions (8-connectivity); two lungs make 2, lungs joined
  across the mediastinum make 1, stray specks add more;
- ``left_right_balance``: the smaller half's lung area over the larger's, the halves split at the middle
  column (1 = balanced).

:class:`QualityRanges` holds each measure's [min, max] over a set of reference masks (the bundle's
training masks: ``python -m nlcen_monai.inference.quality_ranges DATASET_DIR OUT.json``); ``quality`` is ``ok``
when every measure is inside its range, else ``check:`` and what is outside. A flag says a mask is
unusual, not that it is wrong; no flag does not prove a mask right.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import torch
from monai.config import KeysCollection
from monai.data import MetaTensor
from monai.transforms import MapTransform
from scipy import ndimage

from nlcen_monai.utils.atomic import atomic_write_json

__all__ = ["MEASURES", "QUALITY_KEY", "QualityRanges", "MaskQualityd", "mask_measures"]

MEASURES = ("lung_fraction", "components", "left_right_balance")
"""The measures, in the order of ``predictions.csv``'s columns."""

QUALITY_KEY = "quality"
"""The metadata key under which :class:`MaskQualityd` records the measures and the verdict."""


def mask_measures(mask: np.ndarray) -> dict[str, float]:
    """The measures of a 2-D mask given in MONAI's layout (spatial axis 0 horizontal, as the bundles read images).

    Args:
        mask: (W, H) or (1, W, H), foreground > 0.
    """
    lung = np.asarray(mask).squeeze() > 0
    if lung.ndim != 2:
        raise ValueError(f"expected a 2-D mask, got shape {np.shape(mask)}.")
    components = ndimage.label(lung, structure=np.ones((3, 3), bool))[1]
    half = lung.shape[0] // 2  # axis 0 runs across the image: the middle column splits the lungs
    sides = sorted((int(lung[:half].sum()), int(lung[lung.shape[0] - half :].sum())))
    return {
        "lung_fraction": float(lung.mean()),
        "components": float(components),
        "left_right_balance": sides[0] / sides[1] if sides[1] else 0.0,
    }


@dataclass
class QualityRanges:
    """Each measure's accepted [min, max], and what they were measured on.

    Args:
        lung_fraction: the range of ``lung_fraction``.
        components: the range of ``components``.
        left_right_balance: the range of ``left_right_balance``.
        source: where the ranges come from (e.g. "124 JSRT training masks at 128 x 128").
    """

    lung_fraction: tuple[float, float]
    components: tuple[float, float]
    left_right_balance: tuple[float, float]
    source: str = ""

    @classmethod
    def from_masks(cls, masks: Sequence[np.ndarray], source: str = "") -> QualityRanges:
        """The [min, max] of each measure over ``masks`` (each in MONAI's layout)."""
        if not len(masks):
            raise ValueError("no masks to measure the ranges on.")
        values = [mask_measures(m) for m in masks]
        return cls(**{k: (min(v[k] for v in values), max(v[k] for v in values)) for k in MEASURES}, source=source)

    @classmethod
    def load(cls, path: os.PathLike | str) -> QualityRanges:
        """Read the JSON written by :meth:`save`."""
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        return cls(**{k: tuple(data[k]) for k in MEASURES}, source=data.get("source", ""))

    def save(self, path: os.PathLike | str) -> None:
        """Write the ranges as JSON (atomically)."""
        atomic_write_json(path, {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()})

    def verdict(self, measures: dict[str, float]) -> str:
        """``"ok"``, or ``"check: "`` followed by each measure outside its range."""
        outside = []
        for name in MEASURES:
            lo, hi = getattr(self, name)
            value = measures[name]
            if value < lo:
                outside.append(f"{name} {value:.3g} < {lo:.3g}")
            elif value > hi:
                outside.append(f"{name} {value:.3g} > {hi:.3g}")
        return "check: " + "; ".join(outside) if outside else "ok"


class MaskQualityd(MapTransform):
    """Record the measures of each predicted mask and the verdict in its metadata under ``"quality"``.

    Run it in the inference postprocessing after the mask is back on the input's grid (``Invertd``);
    :class:`~nlcen_monai.handlers.WrittenFilesCSV` writes the record as columns of ``predictions.csv``.

    Args:
        keys: keys of the (1, W, H) label maps.
        ranges: a :class:`QualityRanges` or the path of its JSON; None records the measures with the verdict
            ``"unchecked (no quality ranges)"``.
    """

    def __init__(self, keys: KeysCollection, ranges: QualityRanges | os.PathLike | str | None) -> None:
        super().__init__(keys)
        self.ranges = ranges if isinstance(ranges, QualityRanges) or ranges is None else QualityRanges.load(ranges)

    def __call__(self, data: dict) -> dict:
        d = dict(data)
        for key in self.key_iterator(d):
            mask = d[key]
            measures = mask_measures(mask.detach().cpu().numpy() if isinstance(mask, torch.Tensor) else mask)
            record = {k: round(v, 4) for k, v in measures.items()}
            record[QUALITY_KEY] = self.ranges.verdict(measures) if self.ranges else "unchecked (no quality ranges)"
            if not isinstance(mask, MetaTensor):
                mask = MetaTensor(mask)
            mask.meta[QUALITY_KEY] = record
            d[key] = mask
        return d

