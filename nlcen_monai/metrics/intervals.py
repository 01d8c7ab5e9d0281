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
"""Percentile-bootstrap confidence intervals of a mean over images, and of a paired difference of two means.

A mean Dice over a test set is reported with how much it would move with other images drawn from the same
population: the images are resampled with replacement ``n_boot`` times, and the interval is the
``(1 - confidence) / 2`` and ``(1 + confidence) / 2`` quantiles of the resampled means (the percentile
bootstrap). The paired variant resamples images, not scores, so that two scores of one image (e.g. clean and
corrupted, or two models) stay together. A fixed ``seed`` makes every interval reproducible.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["mean_interval", "paired_difference_interval"]

#: resamples drawn at once, so that the (resamples, images) index array stays small
_CHUNK = 1000


def _as_values(values: Sequence[float] | np.ndarray, name: str = "values") -> np.ndarray:
    """``values`` as a 1-D float64 array, refusing an empty or non-finite one."""
    array = np.asarray(values, dtype=np.float64).reshape(-1)
    if array.size == 0:
        raise ValueError(f"{name} is empty: a mean needs at least one value.")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} holds {int(np.sum(~np.isfinite(array)))} non-finite value(s).")
    return array


def _bootstrap_means(values: np.ndarray, n_boot: int, seed: int) -> np.ndarray:
    """The means of ``n_boot`` resamples (with replacement, of the same size) of ``values``."""
    rng = np.random.default_rng(seed)
    means = np.empty(n_boot, dtype=np.float64)
    for start in range(0, n_boot, _CHUNK):
        stop = min(n_boot, start + _CHUNK)
        index = rng.integers(0, values.size, size=(stop - start, values.size))
        means[start:stop] = values[index].mean(axis=1)
    return means


def mean_interval(
    values: Sequence[float] | np.ndarray, confidence: float = 0.95, n_boot: int = 10000, seed: int = 0
) -> tuple[float, float, float, int]:
    """The mean of ``values`` and its percentile-bootstrap interval.

    Args:
        values: one score per image.
        confidence: the interval's coverage, in (0, 1).
        n_boot: the number of resamples.
        seed: the resampling seed (the same seed gives the same interval).

    Returns:
        ``(mean, lo, hi, n)``: the mean, the interval's bounds and the number of values. With one value
        the interval is that value.

    Raises:
        ValueError: when ``values`` is empty or holds a NaN or an infinity, or ``confidence`` or ``n_boot``
            is out of range.
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}.")
    if n_boot < 1:
        raise ValueError(f"n_boot must be >= 1, got {n_boot}.")
    array = _as_values(values)
    mean = float(array.mean())
    if array.size == 1:
        return mean, mean, mean, 1
    means = _bootstrap_means(array, int(n_boot), seed)
    lo, hi = np.quantile(means, [(1.0 - confidence) / 2.0, (1.0 + confidence) / 2.0])
    # the mean is inside the interval whatever the resampling (rounding of quantiles aside)
    return mean, float(min(lo, mean)), float(max(hi, mean)), int(array.size)


def paired_difference_interval(
    a: Sequence[float] | np.ndarray,
    b: Sequence[float] | np.ndarray,
    confidence: float = 0.95,
    n_boot: int = 10000,
    seed: int = 0,
) -> tuple[float, float, float, int]:
    """The mean of ``a - b`` over paired images and its percentile-bootstrap interval.

    Args:
        a: one score per image.
        b: the other score of the same images, in the same order.
        confidence: the interval's coverage, in (0, 1).
        n_boot: the number of resamples.
        seed: the resampling seed.

    Returns:
        ``(mean difference, lo, hi, n)``, as :func:`mean_interval` of the per-image differences: an interval
        that excludes 0 says the two means differ at this confidence.

    Raises:
        ValueError: when ``a`` and ``b`` differ in length, or as :func:`mean_interval`.
    """
    first, second = _as_values(a, "a"), _as_values(b, "b")
    if first.size != second.size:
        raise ValueError(f"a paired difference needs as many values in a ({first.size}) as in b ({second.size}).")
    return mean_interval(first - second, confidence=confidence, n_boot=n_boot, seed=seed)
