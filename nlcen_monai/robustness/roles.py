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
"""What a row of a robustness record is: the evaluated attack's figure, one of its members', or a check's.

The evaluator writes the role into every per-image row (``role`` column) when it records it, so the
table, the log, the curves and the reports tell figures from checks by the role, never by the name.
Records written before the column existed get theirs from :func:`infer_role`, once, when they are read.
"""

from __future__ import annotations

from collections.abc import Collection
from enum import Enum

__all__ = ["RowRole", "infer_role"]

#: the prefix of the rows the checks own (check_unbounded, check_more_iterations, ...): only read for old records
_CHECK_PREFIX = "check_"


class RowRole(str, Enum):
    """The role of a row: ``evaluated`` (the model's figure), ``member`` (one attack of a worst case), ``check``."""

    EVALUATED = "evaluated"
    MEMBER = "member"
    CHECK = "check"


def infer_role(attack: str, evaluated: Collection[str] = (), check_attacks: Collection[str] = ()) -> RowRole | None:
    """The role of a row recorded without one (before the column existed).

    Args:
        attack: the row's attack name.
        evaluated: the names of the evaluated attacks of the record.
        check_attacks: the names of the checks' own attacks whose rows carry no ``check_`` prefix (the
            black-box attacks of check d).

    Returns:
        the role; None when ``evaluated`` is empty and the row is not a check's (it cannot be told).
    """
    if attack.startswith(_CHECK_PREFIX) or attack in check_attacks:
        return RowRole.CHECK
    if attack in evaluated:
        return RowRole.EVALUATED
    return RowRole.MEMBER if evaluated else None
