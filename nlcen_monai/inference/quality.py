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
"""How far to trust a predicted lung mask: four measures, and a flag when one falls outside its reference range.

A model gives a mask for any input, also for a radiograph unlike its training images; these measures let a
clinic sort ``predictions.csv`` and look first at the masks most likely to be wrong:

- ``lung_fraction``: the share of the image that is lung;
- ``components``: the number of connected lung regions (8-connectivity); two lungs make 2, lungs joined
  across the mediastinum make 1, stray specks add more;
- ``left_right_balance``: the smaller half's lung area over the larger's, the halves split at the middle
  column (1 = balanced);
- ``uncertain_fraction``: the pixels whose lung probability is between 0.1 and 0.9, per pixel called lung
  (at the network's input size): how much of the mask the network itself is unsure of.

:class:`QualityRanges` holds each measure's accepted [min, max]: the three shape measures' over reference
masks (the bundle's training masks), the uncertainty's over the model's own predictions on images that
it was not trained on (``python -m nlcen_monai.inference.quality_ranges``). ``quality`` is ``ok`` when
every measure is inside its range, else ``check:`` and what is outside. A flag says a mask is unusual, not
that it is wrong; no flag does not prove a mask right.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import torch
from monai.config import KeysCollection
from monai.transforms import MapTransform
from scipy import ndimage

from nlcen_monai.utils.atomic import atomic_write_json

__all__ = [
    "MEASURES",
    "SHAPE_MEASURES",
    "QUALITY_KEY",
    "QualityRanges",
    "MaskQualityd",
    "MaskUncertaintyd",
    "mask_measures",
    "uncertain_fraction",
]

SHAPE_MEASURES = ("lung_fraction", "components", "left_right_balance")
"""The measures of the mask's shape, in the order of ``predictions.csv``'s columns."""

MEASURES = SHAPE_MEASURES + ("uncertain_fraction",)
"""Every measure, in the order of ``predictions.csv``'s columns."""

QUALITY_KEY = "quality"
"""The item key under which :class:`MaskUncertaintyd` and :class:`MaskQualityd` record the measures and the verdict."""

UNSURE = (0.1, 0.9)
"""Lung probabilities strictly between these count as uncertain."""


def mask_measures(mask: np.ndarray) -> dict[str, float]:
    """The shape measures of a 2-D mask given in MONAI's layout (spatial axis 0 horizontal, as the bundles read images).

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


def uncertain_fraction(logits: torch.Tensor | np.ndarray) -> float:
    """The pixels with a lung probability in (0.1, 0.9), per pixel whose probability is above 0.5.

    Args:
        logits: (C, spatial...) logits of one image; the probability of lung is 1 minus that of class 0.
    """
    logits = torch.as_tensor(logits).float()
    lung = 1.0 - torch.softmax(logits, dim=0)[0]
    unsure = ((lung > UNSURE[0]) & (lung < UNSURE[1])).sum().item()
    return unsure / max(int((lung > 0.5).sum().item()), 1)


@dataclass
class QualityRanges:
    """Each measure's accepted [min, max], and what they were measured on.

    Args:
        lung_fraction: the range of ``lung_fraction``.
        components: the range of ``components``.
        left_right_balance: the range of ``left_right_balance``.
        source: where the shape ranges come from (e.g. "124 JSRT training masks at 128 x 128").
        uncertain_fraction: the range of ``uncertain_fraction``, or None when not measured.
        uncertainty_source: where that range comes from (a model and the images it predicted).
    """

    lung_fraction: tuple[float, float]
    components: tuple[float, float]
    left_right_balance: tuple[float, float]
    source: str = ""
    uncertain_fraction: tuple[float, float] | None = None
    uncertainty_source: str = ""

    @classmethod
    def from_masks(cls, masks: Sequence[np.ndarray], source: str = "") -> QualityRanges:
        """The [min, max] of each shape measure over ``masks`` (each in MONAI's layout)."""
        if not len(masks):
            raise ValueError("no masks to measure the ranges on.")
        values = [mask_measures(m) for m in masks]
        return cls(**{k: (min(v[k] for v in values), max(v[k] for v in values)) for k in SHAPE_MEASURES}, source=source)

    @classmethod
    def load(cls, path: os.PathLike | str) -> QualityRanges:
        """Read the JSON written by :meth:`save`."""
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        unsure = data.get("uncertain_fraction")
        return cls(
            **{k: tuple(data[k]) for k in SHAPE_MEASURES},
            source=data.get("source", ""),
            uncertain_fraction=tuple(unsure) if unsure is not None else None,
            uncertainty_source=data.get("uncertainty_source", ""),
        )

    def save(self, path: os.PathLike | str) -> None:
        """Write the ranges as JSON (atomically)."""
        atomic_write_json(path, {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()})

    def verdict(self, measures: dict[str, float]) -> str:
        """``"ok"``, or ``"check: "`` followed by each measure outside its range (measures without a range are not judged)."""
        outside = []
        for name in MEASURES:
            limits = getattr(self, name)
            if name not in measures or limits is None:
                continue
            value, (lo, hi) = measures[name], limits
            if value < lo:
                outside.append(f"{name} {value:.3g} < {lo:.3g}")
            elif value > hi:
                outside.append(f"{name} {value:.3g} > {hi:.3g}")
        return "check: " + "; ".join(outside) if outside else "ok"


class MaskUncertaintyd(MapTransform):
    """Record ``uncertain_fraction`` of a prediction's logits in the item's quality record (``item["quality"]``).

    Run it in the inference postprocessing on the logits, before ``AsDiscreted(argmax=True)``. The record is
    kept in the item, not in the tensor's metadata, which ``Invertd`` replaces.

    Args:
        keys: the key of the (C, W, H) logits (one key: the item has one record).
    """

    def __call__(self, data: dict) -> dict:
        d = dict(data)
        for key in self.key_iterator(d):
            unsure = uncertain_fraction(torch.as_tensor(d[key]).detach().cpu())
            d[QUALITY_KEY] = {**d.get(QUALITY_KEY, {}), "uncertain_fraction": round(unsure, 4)}
        return d


class MaskQualityd(MapTransform):
    """Add the shape measures of a predicted mask to the item's quality record, and the verdict on every measure in it.

    Run it in the inference postprocessing after the mask is back on the input's grid (``Invertd``);
    :class:`~nlcen_monai.handlers.WrittenFilesCSV` writes the record (``item["quality"]``) as columns of
    ``predictions.csv``.

    Args:
        keys: the key of the (1, W, H) label map (one key: the item has one record).
        ranges: a :class:`QualityRanges` or the path of its JSON; None records the measures with the verdict
            ``"unchecked (no quality ranges)"``.
    """

    def __init__(self, keys: KeysCollection, ranges: QualityRanges | os.PathLike | str | None) -> None:
        super().__init__(keys)
        self.ranges = ranges if isinstance(ranges, QualityRanges) or ranges is None else QualityRanges.load(ranges)

    def __call__(self, data: dict) -> dict:
        d = dict(data)
        for key in self.key_iterator(d):
            mask = d[key].detach().cpu().numpy() if isinstance(d[key], torch.Tensor) else np.asarray(d[key])
            record = {k: v for k, v in d.get(QUALITY_KEY, {}).items() if k != QUALITY_KEY}
            record.update({k: round(v, 4) for k, v in mask_measures(mask).items()})
            verdict = self.ranges.verdict(record) if self.ranges else "unchecked (no quality ranges)"
            d[QUALITY_KEY] = {QUALITY_KEY: verdict, **record}
        return d
