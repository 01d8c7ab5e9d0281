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
"""The names of the robustness numbers: an intensity's key and a metric's name, in one place.

A robustness number is one kind of score (``dice`` or ``jaccard``) of one attack at one intensity.
:class:`MetricKey` is that triple; its name (``dice_eps8`` for the evaluator's own attack,
``dice_apgd_ce_eps8`` for a member or a check) is what ``engine.state.metrics``, the epoch log, a
config's ``key_metric`` and the benchmarks use, and :meth:`MetricKey.from_name` reads it back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["KINDS", "MetricKey", "eps_key", "format_eps"]

#: the scores of the robustness tables
KINDS = ("dice", "jaccard")

_NAME = re.compile(r"^(?P<kind>[a-z]+)_(?:(?P<attack>.+)_)?eps(?P<eps>[0-9.eE+-]+)$")


def eps_key(eps: float) -> float:
    """An intensity rounded to 6 decimals, the identity used to match rows (0.5 == 0.50000001)."""
    return round(float(eps), 6)


def format_eps(eps: float) -> str:
    """An intensity as written in names and tables: ``8``, ``0.5``, ``255`` (exact for 6 decimals)."""
    return f"{eps_key(eps):.12g}"


@dataclass(frozen=True)
class MetricKey:
    """One robustness number: a score ``kind`` of ``attack`` at intensity ``eps`` (0 = the clean images).

    Args:
        kind: one of :data:`KINDS`.
        eps: the intensity in grey levels (stored as :func:`eps_key`).
        attack: a member's or a check's name; None for the evaluator's own attack.

    Example::

        MetricKey("dice", 8).to_name()                  # "dice_eps8"
        MetricKey.from_name("jaccard_apgd_ce_eps0.5")   # MetricKey("jaccard", 0.5, "apgd_ce")
    """

    kind: str
    eps: float
    attack: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}.")
        if self.attack == "":
            object.__setattr__(self, "attack", None)
        object.__setattr__(self, "eps", eps_key(self.eps))

    def to_name(self) -> str:
        """The name in ``engine.state.metrics``: ``<kind>_eps<eps>`` or ``<kind>_<attack>_eps<eps>``."""
        middle = "" if self.attack is None else f"{self.attack}_"
        return f"{self.kind}_{middle}eps{format_eps(self.eps)}"

    @classmethod
    def from_name(cls, name: str) -> MetricKey:
        """The key of a name written by :meth:`to_name`; ValueError for any other name.

        Args:
            name: e.g. ``"dice_eps8"`` or ``"jaccard_check_more_iterations_eps32"``.
        """
        match = _NAME.match(name)
        if match is None or match["kind"] not in KINDS:
            raise ValueError(f"{name!r} is not a robustness metric name such as 'dice_eps8' or 'dice_pgd_eps8'.")
        try:
            eps = float(match["eps"])
        except ValueError as e:
            raise ValueError(f"{name!r}: unreadable intensity {match['eps']!r}.") from e
        return cls(match["kind"], eps, match["attack"])

    @classmethod
    def is_name(cls, name: str) -> bool:
        """Whether ``name`` is a robustness metric name (one that :meth:`from_name` reads)."""
        try:
            cls.from_name(name)
        except ValueError:
            return False
        return True
