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
"""Whether one model's worst case differs from another's: the paired difference over the images both records hold.

Two models attacked on the same images differ by much less than the spread between images, so their means are
compared image by image: the mean of the per-image differences with its paired 95 % bootstrap interval
(:meth:`~nlcen_monai.reports.figures.Figure.paired`). A difference decides (:func:`decision`) only where that
interval excludes zero. The campaign's screen ranks runs this way on the selection images
(:mod:`~nlcen_monai.reports.campaign_table`), and a new release must beat the shipped model this way on the
reporting images (:mod:`~nlcen_monai.reports.worst_case_table`, more than one model).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from nlcen_monai.reports.figures import Figure

__all__ = ["BETTER", "WORSE", "decision", "paired_differences", "per_image_scores"]

BETTER = "better"
WORSE = "worse"


def per_image_scores(per_image: Iterable[Mapping[str, Any]], attack: str) -> dict[float, dict[str, float]]:
    """``{eps: {case id: DIC}}`` of ``attack``'s rows in a per-image record (``robustness_per_image.csv``'s rows).

    Args:
        per_image: the record's rows (``case_id``, ``attack``, ``eps``, ``dice``).
        attack: the attack whose rows to keep (e.g. ``"worst_case"``).
    """
    scores: dict[float, dict[str, float]] = {}
    for row in per_image:
        if row["attack"] == attack:
            scores.setdefault(float(row["eps"]), {})[row["case_id"]] = float(row["dice"])
    return scores


def paired_differences(
    scores: Mapping[float, Mapping[str, float]], reference: Mapping[float, Mapping[str, float]]
) -> dict[float, Figure]:
    """``{eps: mean of scores - reference}`` over the images both hold at that intensity, with the paired 95 % bootstrap
    interval and n; an intensity without a common image is left out.

    Args:
        scores: ``{eps: {case id: DIC}}`` of the model (:func:`per_image_scores`).
        reference: the same of the model it is compared with.
    """
    differences = {}
    for eps in sorted(scores.keys() & reference.keys()):
        common = sorted(scores[eps].keys() & reference[eps].keys())
        if common:
            differences[eps] = Figure.paired([scores[eps][c] for c in common], [reference[eps][c] for c in common])
    return differences


def decision(difference: Figure | None) -> str:
    """:data:`BETTER` or :data:`WORSE` when the interval of ``difference`` excludes zero; ``""`` (no decision) when it
    holds zero or there is no interval.

    Args:
        difference: a paired difference (:func:`paired_differences`), or None.
    """
    if difference is None or not difference.has_interval:
        return ""
    if difference.low > 0:
        return BETTER
    return WORSE if difference.high < 0 else ""
