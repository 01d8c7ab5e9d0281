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
"""Budgets that depend on the intensity: spend the iterations where the worst case is still falling.

A budget is either one count for every intensity (``300``) or a mapping from intensities to counts
(``{8: 100, 32: 450}``; in a bundle config the keys are strings, ``{"8": 100, "32": 450}``). An intensity
that the mapping does not list takes the count of the smallest listed intensity above it, and one above
every listed intensity the count of the largest: a larger ball never gets fewer iterations than a smaller
one that is listed. On the released JSRT model the worst case at eps 8 has stopped falling long before it
has at eps 32, so one count for both spends most of the eps-8 passes on nothing.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["Budget", "as_budget", "budget_at", "scale_budget", "describe_budget"]

#: one count for every intensity, or ``{intensity: count}`` sorted by intensity
Budget = int | dict[float, int]


def as_budget(value: int | Mapping, name: str = "budget", minimum: int = 0) -> Budget:
    """``value`` checked and normalised: an int, or a dict from float intensities to ints, sorted.

    Args:
        value: a count, or a mapping from intensities (numbers or numeric strings) to counts.
        name: the argument's name, for the error message.
        minimum: the smallest count allowed.

    Raises:
        ValueError: a count below ``minimum``, an empty mapping, or a key that is not a non-negative number.
    """
    if isinstance(value, Mapping):
        if not value:
            raise ValueError(f"{name} must list at least one intensity, got an empty mapping.")
        budget = {}
        for key, count in value.items():
            try:
                eps = float(key)
            except (TypeError, ValueError):
                raise ValueError(f"{name}: the intensity '{key}' is not a number.") from None
            if eps < 0:
                raise ValueError(f"{name}: the intensity {key} is negative.")
            budget[eps] = _count(count, f"{name} at eps {key}", minimum)
        return dict(sorted(budget.items()))
    return _count(value, name, minimum)


def budget_at(budget: Budget, eps: float) -> int:
    """The count of ``budget`` at intensity ``eps``: the smallest listed intensity ``>= eps``, else the largest.

    Args:
        budget: a normalised budget (:func:`as_budget`).
        eps: the intensity in grey levels.
    """
    if not isinstance(budget, dict):
        return budget
    for listed, count in budget.items():
        if float(eps) <= listed:
            return count
    return budget[max(budget)]


def scale_budget(budget: Budget, factor: int) -> Budget:
    """``budget`` with every count multiplied by ``factor`` (the gradient-masking check with more iterations)."""
    if isinstance(budget, dict):
        return {eps: int(count) * int(factor) for eps, count in budget.items()}
    return int(budget) * int(factor)


def describe_budget(budget: Budget) -> int | dict[str, int]:
    """``budget`` as JSON writes it: the mapping's intensities as strings (``8.0`` as ``"8"``)."""
    if isinstance(budget, dict):
        return {f"{eps:g}": count for eps, count in budget.items()}
    return budget


def _count(value: object, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"{name} must be an integer, got {value!r}.")
    try:
        count = int(value)
    except ValueError:
        raise ValueError(f"{name} must be an integer, got {value!r}.") from None
    if count != float(value):
        raise ValueError(f"{name} must be an integer, got {value!r}.")
    if count < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {count}.")
    return count
