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
"""How every report prints a mean over images: with n and its 95 % percentile-bootstrap interval.

A :class:`Figure` is a mean with its interval and n, made from the per-image values
(:meth:`Figure.of`, :func:`~nlcen_monai.metrics.mean_interval`), from two scores of the same images
(:meth:`Figure.paired`: a drop or a difference between two models,
:func:`~nlcen_monai.metrics.paired_difference_interval`) or from a table row that carries them
(:meth:`Figure.of_row`: ``dice``, ``dice_low``, ``dice_high``, ``n_images``). It prints as
``0.877 [0.862, 0.891] (n 14)``. A record without per-image values gives a figure without an interval,
printed with its n alone; :class:`MissingIntervals` collects the records a report printed such figures
from, so that the report says once that no interval can be computed from them (none is invented).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from nlcen_monai.metrics.intervals import mean_interval, paired_difference_interval

__all__ = ["Figure", "MissingIntervals"]


@dataclass(frozen=True)
class Figure:
    """A mean over ``n`` images with its 95 % interval ``[low, high]`` (None: the record gives none).

    Args:
        mean: the mean (of scores, or of paired differences).
        low: the interval's lower bound, or None.
        high: its upper bound, or None.
        n: the number of images, or None when the record does not say.
    """

    mean: float
    low: float | None = None
    high: float | None = None
    n: int | None = None

    @classmethod
    def of(cls, values: Sequence[float] | np.ndarray) -> Figure:
        """The mean of one score per image, with its bootstrap interval (:func:`~nlcen_monai.metrics.mean_interval`)."""
        return cls(*mean_interval(values))

    @classmethod
    def paired(cls, a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray) -> Figure:
        """The mean of ``a - b`` over the same images, in the same order, with its paired bootstrap interval."""
        return cls(*paired_difference_interval(a, b))

    @classmethod
    def of_drop(cls, entry: Mapping[str, Any]) -> Figure:
        """The drop of check c or d at one intensity, as the judged check holds it (``drop``; when ``paired``, also
        ``drop_low``, ``drop_high`` and ``n_images``): an unpaired one, of an older store, has no interval."""
        if not entry.get("paired"):
            return cls(entry["drop"])
        return cls(entry["drop"], entry["drop_low"], entry["drop_high"], entry["n_images"])

    @classmethod
    def of_row(cls, row: Mapping[str, Any], key: str = "dice") -> Figure:
        """A table row's mean ``row[key]`` with ``<key>_low``, ``<key>_high`` and ``n_images`` when it has them."""
        n = row.get("n_images")
        return cls(float(row[key]), row.get(f"{key}_low"), row.get(f"{key}_high"), None if n is None else int(n))

    @property
    def has_interval(self) -> bool:
        """Whether both bounds are known."""
        return self.low is not None and self.high is not None

    def interval(self, digits: int = 3, sign: bool = False) -> str:
        """``0.877 [0.862, 0.891]`` (the mean alone without an interval); ``sign`` writes ``+`` before positives."""
        spec = f"{'+' if sign else ''}.{digits}f"
        if not self.has_interval:
            return format(self.mean, spec)
        return f"{self.mean:{spec}} [{self.low:{spec}}, {self.high:{spec}}]"

    def text(self, digits: int = 3, sign: bool = False) -> str:
        """``0.877 [0.862, 0.891] (n 14)``: :meth:`interval` and n (when known)."""
        return self.interval(digits, sign) + ("" if self.n is None else f" (n {self.n})")


class MissingIntervals:
    """The records a report printed a figure without an interval from, to say so once (:meth:`note`)."""

    def __init__(self) -> None:
        self.records: dict[str, None] = {}

    def text(self, figure: Figure, record: str, digits: int = 3, sign: bool = False) -> str:
        """``figure.text(digits, sign)``, remembering ``record`` when the figure has no interval."""
        self.mark(figure, record)
        return figure.text(digits, sign)

    def interval(self, figure: Figure, record: str, digits: int = 3, sign: bool = False) -> str:
        """``figure.interval(digits, sign)`` (n said elsewhere), remembering ``record`` when it has no interval."""
        self.mark(figure, record)
        return figure.interval(digits, sign)

    def mark(self, figure: Figure | None, record: str) -> None:
        """Remember ``record`` when ``figure`` is printed without an interval."""
        if figure is not None and not figure.has_interval:
            self.records[record] = None

    def note(self) -> list[str]:
        """A blank line and the one line saying which records gave figures without an interval; [] when every figure had one."""
        if not self.records:
            return []
        return [
            "",
            f"No interval: {', '.join(self.records)} hold(s) no per-image values behind the figures printed without "
            "one (an older record), so no interval can be computed from it; those figures carry their n alone, where "
            "the record gives it.",
        ]
