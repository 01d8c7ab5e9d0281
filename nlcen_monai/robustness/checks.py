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
"""Gradient-masking checks (Carlini et al. 2019, "On evaluating adversarial robustness"; Tramer et al. 2020).

A defense can look robust because its gradients are useless to the attack (rounding, saturation,
randomness, a non-differentiable step) rather than because it is robust. Four symptoms of that are
checked on every evaluation that asks for them:

a. ``monotone``: Dice does not rise with eps (by more than ``monotone_tolerance``) for any attack;
b. ``unbounded``: an unbounded attack (eps = 255: the whole image may change) drives Dice to at
   most ``unbounded_max_dice``;
c. ``more_iterations``: doubling every member's iterations and restarts lowers the worst-case Dice
   by at most ``iterations_tolerance``;
d. ``black_box``: black-box attacks (the gradient-free Square attack, transfer from an undefended
   surrogate) do not beat the white-box worst case by more than ``black_box_tolerance``.

:class:`GradientMaskingChecks` is the configuration the evaluator takes (which intensities, which
black-box attacks, the tolerances); the evaluator runs the extra attacks and writes their results as
``check_*`` rows, and :meth:`GradientMaskingChecks.judge` turns the rows into named verdicts. A
model that fails a check, or was not checked, is never called robust (:func:`verdict`).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from nlcen_monai.attacks.base import SegmentationAttack

from .results import eps_key

__all__ = [
    "CHECK_NAMES",
    "CHECK_UNBOUNDED",
    "CHECK_MORE_ITERATIONS",
    "CHECK_BLACK_BOX",
    "GradientMaskingChecks",
    "verdict",
]

CHECK_NAMES = ("monotone", "unbounded", "more_iterations", "black_box")
# the attack names of the rows the evaluator writes for checks b, c and d
CHECK_UNBOUNDED = "check_unbounded"
CHECK_MORE_ITERATIONS = "check_more_iterations"
CHECK_BLACK_BOX = "check_black_box"


class GradientMaskingChecks:
    """What the evaluator runs for the four gradient-masking checks, and how they are judged.

    Args:
        epsilons: the intensities at which checks c and d run (each is one more worst-case run
            there); None: the median of the evaluated intensities.
        black_box: the black-box attacks of check d, e.g. ``[Square(...), TransferAttack(surrogate,
            APGD(...))]``; empty: check d is not run (and so not passed).
        unbounded_attacks: the attacks of check b; None: the evaluated attack's own members (an
            attack with a fixed schedule, such as the paper's I-FGSM with its ``1.25 eps`` steps, is
            259 passes at eps 255: a targeted APGD is the cheaper choice).
        unbounded_eps: the intensity of check b (255: unbounded in the [0, 255] domain).
        unbounded_max_dice: check b passes when the unbounded attack leaves Dice at or below this.
        factor: check c multiplies iterations and restarts by this.
        monotone_tolerance: check a allows a rise of this much Dice between consecutive intensities.
        iterations_tolerance: check c allows the stronger attack to lower the worst case by this much.
        black_box_tolerance: check d allows the black-box attacks to beat the white-box worst case by this much.
    """

    def __init__(
        self,
        epsilons: Sequence[float] | None = None,
        black_box: Sequence[SegmentationAttack] = (),
        unbounded_attacks: Sequence[SegmentationAttack] | None = None,
        unbounded_eps: float = 255.0,
        unbounded_max_dice: float = 0.05,
        factor: int = 2,
        monotone_tolerance: float = 0.01,
        iterations_tolerance: float = 0.01,
        black_box_tolerance: float = 0.01,
    ) -> None:
        self.epsilons = None if epsilons is None else sorted({eps_key(e) for e in epsilons})
        self.black_box = list(black_box)
        self.unbounded_attacks = None if unbounded_attacks is None else list(unbounded_attacks)
        self.unbounded_eps = eps_key(unbounded_eps)
        self.unbounded_max_dice = float(unbounded_max_dice)
        self.factor = int(factor)
        self.monotone_tolerance = float(monotone_tolerance)
        self.iterations_tolerance = float(iterations_tolerance)
        self.black_box_tolerance = float(black_box_tolerance)

    def check_epsilons(self, evaluated: Sequence[float]) -> list[float]:
        """The intensities where checks c and d run, given the evaluated ones (only those evaluated count)."""
        positive = sorted({eps_key(e) for e in evaluated if float(e) > 0})
        if not positive:
            return []
        if self.epsilons is None:
            return [positive[(len(positive) - 1) // 2]]
        return [e for e in self.epsilons if e in positive]

    def describe(self) -> dict[str, Any]:
        """The settings as a JSON-able dict."""
        return {
            "epsilons": self.epsilons,
            "black_box": [a.describe() for a in self.black_box],
            "unbounded_attacks": None if self.unbounded_attacks is None else [a.describe() for a in self.unbounded_attacks],
            "unbounded_eps": self.unbounded_eps,
            "unbounded_max_dice": self.unbounded_max_dice,
            "factor": self.factor,
            "monotone_tolerance": self.monotone_tolerance,
            "iterations_tolerance": self.iterations_tolerance,
            "black_box_tolerance": self.black_box_tolerance,
        }

    def judge(
        self,
        rows: Sequence[Mapping[str, Any]],
        per_image: Sequence[Mapping[str, Any]],
        attack: str,
        members: Sequence[str] = (),
    ) -> dict[str, dict[str, Any]]:
        """The four checks' verdicts from the results table and the per-image rows.

        Args:
            rows: ``robustness.csv`` rows (the evaluator's attack, its members, the ``check_*`` rows).
            per_image: ``robustness_per_image.csv`` rows.
            attack: the evaluator's attack name (a worst-case ensemble or a single attack).
            members: the ensemble's member names (check a runs on each of them too).

        Returns:
            ``{check name: {"passed": True | False | None, ...its numbers}}``; ``None`` means not run.
        """
        table = {(r["attack"], eps_key(r["eps"])): r for r in rows}
        evaluated = sorted(e for (a, e) in table if a == attack and e > 0)
        return {
            "monotone": self._monotone(per_image, [attack, *members]),
            "unbounded": self._unbounded(table),
            "more_iterations": self._compare(table, attack, evaluated, CHECK_MORE_ITERATIONS, self.iterations_tolerance),
            "black_box": self._compare(table, attack, evaluated, CHECK_BLACK_BOX, self.black_box_tolerance),
        }

    def _monotone(self, per_image: Sequence[Mapping[str, Any]], attacks: Sequence[str]) -> dict[str, Any]:
        """Check a, per attack: the mean Dice change between consecutive intensities on the images attacked at both."""
        by_attack: dict[str, dict[float, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
        for r in per_image:
            if r["attack"] in attacks and eps_key(r["eps"]) > 0:
                by_attack[r["attack"]][eps_key(r["eps"])][str(r["case_id"])] = float(r["dice"])
        worst: dict[str, Any] = {"rise": None, "attack": None, "from_eps": None, "to_eps": None, "n_images": 0}
        compared = 0
        for name, by_eps in by_attack.items():
            eps_list = sorted(by_eps)
            for lo, hi in zip(eps_list, eps_list[1:]):
                common = sorted(set(by_eps[lo]) & set(by_eps[hi]))
                if not common:
                    continue
                compared += 1
                rise = statistics.fmean(by_eps[hi][c] - by_eps[lo][c] for c in common)
                if worst["rise"] is None or rise > worst["rise"]:
                    worst = {"rise": rise, "attack": name, "from_eps": lo, "to_eps": hi, "n_images": len(common)}
        passed = None if compared == 0 else worst["rise"] <= self.monotone_tolerance
        return {"passed": passed, "max_rise": worst["rise"], "tolerance": self.monotone_tolerance, "worst": worst}

    def _unbounded(self, table: Mapping[tuple[str, float], Mapping[str, Any]]) -> dict[str, Any]:
        """Check b: the unbounded attack's Dice."""
        row = table.get((CHECK_UNBOUNDED, self.unbounded_eps))
        dice = None if row is None else float(row["dice"])
        return {
            "passed": None if dice is None else dice <= self.unbounded_max_dice,
            "eps": self.unbounded_eps,
            "dice": dice,
            "max_dice": self.unbounded_max_dice,
        }

    def _compare(self, table, attack: str, evaluated: Sequence[float], check: str, tolerance: float) -> dict[str, Any]:
        """Checks c and d: how much the check's rows lower the evaluator's worst case, at each check intensity."""
        per_eps = {}
        for eps in evaluated:
            if (check, eps) in table and (attack, eps) in table:
                base, checked = float(table[(attack, eps)]["dice"]), float(table[(check, eps)]["dice"])
                per_eps[f"{eps:g}"] = {"dice": base, "checked_dice": checked, "drop": base - checked}
        if not per_eps:
            return {"passed": None, "tolerance": tolerance, "per_eps": {}}
        max_drop = max(v["drop"] for v in per_eps.values())
        return {"passed": max_drop <= tolerance, "max_drop": max_drop, "tolerance": tolerance, "per_eps": per_eps}


def verdict(checks: Mapping[str, Mapping[str, Any]] | None) -> str:
    """One sentence for reports and figures: whether the scores may be read as robustness.

    Args:
        checks: the output of :meth:`GradientMaskingChecks.judge` (None: no checks were run).
    """
    if not checks:
        return "gradient-masking checks not run: these scores are upper bounds, not a robustness claim"
    failed = [n for n in CHECK_NAMES if checks.get(n, {}).get("passed") is False]
    missing = [n for n in CHECK_NAMES if checks.get(n, {}).get("passed") is None]
    if failed:
        return f"gradient-masking check(s) FAILED ({', '.join(failed)}): not robust; the scores are upper bounds"
    if missing:
        return f"gradient-masking check(s) not run ({', '.join(missing)}): the scores are upper bounds"
    return "all four gradient-masking checks passed"
