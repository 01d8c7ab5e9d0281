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
"""Which recorded rows a change of settings makes stale, so that a resumed evaluation recomputes them.

A resumed evaluation attacks only what its results store lacks. If the attack or a check was changed
in between (more iterations, another loss for the unbounded check), the rows recorded under the old
settings would be mixed silently with the new ones in one table. :func:`stale_rows` compares the
settings a store was made with (``RobustnessResult.settings``: the attack's and the checks'
``describe()``) with the current ones and names the rows the change invalidates:

- the evaluated attack (any member), under the same name: its and its members' adversarial rows
  (eps > 0) and every check's, since every check starts from or competes with the evaluated worst
  case; the clean rows stay (an attack of another name is another sweep in the same table);
- check a's attacks (for a chained worst case): the ``check_monotone`` rows;
- check b's attacks or intensity: the ``check_unbounded`` rows;
- check c's factor: the ``check_more_iterations`` rows;
- check d's black-box attacks: the ``check_black_box`` rows and those attacks' own rows.

The intensities of the checks and the tolerances change no row (they only change what is judged).
Descriptions are compared on the keys both have, so a field that a newer version of an attack
describes (with its default value) does not invalidate an older store. Several evaluated attacks may
share one store (one sweep each, as ``python -m nlcen_monai.compare --attacks`` writes them):
:func:`recorded_settings` keeps each one's last description under ``"attacks"``, so a change to any of
them is seen whichever ran last (a store written before that key existed knows only its last run's).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from .checks import CHECK_BLACK_BOX, CHECK_MONOTONE, CHECK_MORE_ITERATIONS, CHECK_UNBOUNDED
from .keys import eps_key
from .fingerprint import MODEL_KEY

__all__ = ["recorded_settings", "same_description", "stale_rows"]

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def same_description(recorded: Any, current: Any) -> bool:
    """Whether two ``describe()`` values agree: dicts on the keys both have, lists element by element, reprs
    without their memory addresses."""
    if isinstance(recorded, Mapping) and isinstance(current, Mapping):
        return all(same_description(recorded[k], current[k]) for k in recorded.keys() & current.keys())
    if isinstance(recorded, (list, tuple)) and isinstance(current, (list, tuple)):
        return len(recorded) == len(current) and all(same_description(a, b) for a, b in zip(recorded, current))
    if isinstance(recorded, str) and isinstance(current, str):  # a repr() differs by its address between processes
        return _ADDRESS.sub("", recorded) == _ADDRESS.sub("", current)
    return recorded == current


def _nothing(attack: str, eps: float) -> bool:
    return False


def recorded_settings(recorded: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
    """The settings a store keeps after a run with ``current``: ``current``, and under ``"attacks"`` the last
    description of every evaluated attack either one has held (``current``'s win); the fingerprint of the
    model (``"model"``, :data:`~nlcen_monai.robustness.fingerprint.MODEL_KEY`) is ``current``'s, or
    ``recorded``'s when ``current`` names none (a run's rows gathered without it keep the store's).

    Args:
        recorded: the settings the store had (empty: none).
        current: the settings of the run that adds rows (its attack's and checks' ``describe()``, and
            possibly its own ``"attacks"`` and ``"model"``).
    """
    attacks: dict[str, Any] = {}
    for settings in (recorded, current):
        attacks.update(settings.get("attacks") or {})
        attack = settings.get("attack")
        if isinstance(attack, Mapping) and "name" in attack:
            attacks[attack["name"]] = attack
    kept = {**current, "attacks": attacks}
    if not current.get(MODEL_KEY) and recorded.get(MODEL_KEY):
        kept[MODEL_KEY] = recorded[MODEL_KEY]
    return kept


def _recorded_attack(settings: Mapping[str, Any], name: Any) -> Mapping[str, Any]:
    """The recorded description of the attack named ``name`` ({}: none; an older store knows only its last run's)."""
    recorded = (settings.get("attacks") or {}).get(name) or settings.get("attack") or {}
    return recorded if recorded.get("name") == name else {}


def _names(descriptions: Any) -> set[str]:
    return {d["name"] for d in descriptions or [] if isinstance(d, Mapping) and "name" in d}


def stale_rows(recorded: Mapping[str, Any], current: Mapping[str, Any]) -> tuple[list[str], Callable[[str, float], bool]]:
    """What changed between two settings, and which ``(attack, eps)`` rows that makes stale.

    Args:
        recorded: the settings the stored rows were made with (empty: unknown, nothing is stale).
        current: the settings of the evaluation about to resume.

    Returns:
        the changed settings, in words (empty: nothing is stale), and a predicate ``(attack, eps) -> bool``.
    """
    if not recorded or not current:
        return [], _nothing
    old, new = recorded.get("checks") or {}, current.get("checks") or {}
    black_box = {CHECK_BLACK_BOX, *_names(old.get("black_box")), *_names(new.get("black_box"))}
    new_attack = current.get("attack") or {}
    old_attack = _recorded_attack(recorded, new_attack.get("name"))
    if old_attack and not same_description(old_attack, new_attack):
        owned = {new_attack.get("name"), *_names(old_attack.get("members")), *_names(new_attack.get("members"))}
        owned |= {CHECK_MONOTONE, CHECK_UNBOUNDED, CHECK_MORE_ITERATIONS, *black_box}
        return ["the attack"], lambda attack, eps: eps_key(eps) > 0 and attack in owned
    if not old or not new:
        return [], _nothing
    changed, attacks = [], set()
    if not same_description(old.get("monotone_attacks"), new.get("monotone_attacks")):
        changed.append("the monotone check's attacks")
        attacks.add(CHECK_MONOTONE)
    if not same_description(old.get("unbounded_attacks"), new.get("unbounded_attacks")) or not same_description(
        old.get("unbounded_eps"), new.get("unbounded_eps")
    ):
        changed.append("the unbounded check's attacks")
        attacks.add(CHECK_UNBOUNDED)
    if not same_description(old.get("factor"), new.get("factor")):
        changed.append("the more-iterations check's factor")
        attacks.add(CHECK_MORE_ITERATIONS)
    if not same_description(old.get("black_box"), new.get("black_box")):
        changed.append("the black-box attacks")
        attacks |= black_box
    return changed, lambda attack, eps: attack in attacks
