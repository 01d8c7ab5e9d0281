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

a. ``monotone``: Dice does not rise with eps for any attack. A worst case chained over the
   intensities (each starting from the worst images of the one below) cannot rise by construction, so
   for it the evaluator runs ``monotone_attacks`` unchained, from the clean image at every intensity
   (``check_monotone`` rows), and the check is judged on those; otherwise on the evaluated attack and
   its members;
b. ``unbounded``: an unbounded attack (eps = 255: the whole image may change) drives Dice to at
   most ``unbounded_max_dice``;
c. ``more_iterations``: doubling every member's iterations and restarts lowers the worst-case Dice
   by at most ``iterations_tolerance`` (the stronger ensemble runs the evaluation's own procedure from
   where the recorded one did: the recorded worst images of the intensity below, and with the recorded
   worst images as candidates, so it can only lower the figure);
d. ``black_box``: black-box attacks (the gradient-free Square attack, transfer from an undefended
   surrogate) do not beat the white-box worst case by more than ``black_box_tolerance``.

The checks cost several times the evaluation (check c alone runs four times its passes), so they may
run on a fixed random sample of the images (``sample``): each image is in it or not by its case id and
the seed, whatever the batch, the process or the resumed run. The interval rule then says whether
the sample sufficed: a sample too small for its spread leaves an interval too wide to pass.

Checks a, c and d compare per image, over the images both sides scored, and are judged by an interval
rule: the 95 % percentile-bootstrap interval of the paired mean (the drop of c and d, the rise of a)
must lie at or below the tolerance at its upper end. A check whose comparison cannot be paired (a
table without per-image rows) is not judged (``passed`` None): its intensities stay upper bounds.

:class:`GradientMaskingChecks` is the configuration the evaluator takes (which intensities, which
black-box attacks, the tolerances); the evaluator runs the extra attacks and writes their results as
``check_*`` rows, and :meth:`GradientMaskingChecks.judge` turns the rows into named verdicts.

Robustness is said of an intensity, never of a model as a whole. Checks c and d run at every
evaluated intensity (unless ``epsilons`` narrows them) and are judged there; a and b are
model-wide, so their failure (or absence) makes every intensity an upper bound.
:func:`intensity_verdicts` gives each intensity its :class:`IntensityVerdict` (``passed``, or the checks
that failed or did not run there), a figure whose intensity did not pass is an upper bound
(:func:`is_upper_bound`), and :func:`verdict` says it in one line, per intensity.
"""

from __future__ import annotations

import hashlib
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nlcen_monai.metrics.intervals import paired_difference_interval

from .keys import eps_key, format_eps

if TYPE_CHECKING:
    from nlcen_monai.attacks.base import SegmentationAttack

__all__ = [
    "CHECK_NAMES",
    "CHECK_MONOTONE",
    "CHECK_UNBOUNDED",
    "CHECK_MORE_ITERATIONS",
    "CHECK_BLACK_BOX",
    "PER_INTENSITY_CHECKS",
    "STATUS_PASSED",
    "GradientMaskingChecks",
    "IntensityVerdict",
    "intensity_verdicts",
    "is_upper_bound",
    "verdict",
]

CHECK_NAMES = ("monotone", "unbounded", "more_iterations", "black_box")
# the attack names of the rows the evaluator writes for checks a (for a chained worst case), b, c and d
CHECK_MONOTONE = "check_monotone"
CHECK_UNBOUNDED = "check_unbounded"
CHECK_MORE_ITERATIONS = "check_more_iterations"
CHECK_BLACK_BOX = "check_black_box"
#: the checks judged at each intensity; the others are model-wide
PER_INTENSITY_CHECKS = ("more_iterations", "black_box")
#: the status of an intensity whose four checks passed (any other status is an upper bound)
STATUS_PASSED = "passed"


class GradientMaskingChecks:
    """What the evaluator runs for the four gradient-masking checks, and how they are judged.

    Args:
        epsilons: the intensities at which checks c and d run (each is one more worst-case run
            there); None: every evaluated intensity. The figures at the other intensities are
            marked unchecked (upper bounds).
        black_box: the black-box attacks of check d, e.g. ``[Square(...), TransferAttack(surrogate,
            APGD(...))]``; empty: check d is not run (and so not passed).
        unbounded_attacks: the attacks of check b (the worst case over them, per image); None: the
            evaluated attack's own members. Choose the strongest untargeted losses: the check is meant
            to fail only when gradients mislead, and a weak loss makes it fail on an honest model (on a
            defended NLCEN, 100 iterations of targeted APGD-CE left Dice 0.082 at eps 255 where the
            balanced masked CE and the JS loss left 0.035 and 0.040). An attack with a fixed schedule,
            such as the paper's I-FGSM with its ``1.25 eps`` steps, costs 259 passes at eps 255.
        monotone_attacks: the attacks of check a when the evaluated attack is a worst case chained over
            the intensities (run unchained, from the clean image, at every evaluated intensity); None:
            the evaluated ensemble's cheapest member at its largest intensity.
        unbounded_eps: the intensity of check b (255: unbounded in the [0, 255] domain).
        unbounded_max_dice: check b passes when the unbounded attack leaves Dice at or below this.
        factor: check c multiplies iterations and restarts by this.
        monotone_tolerance: check a allows a rise of this much Dice between consecutive intensities
            (the upper end of the paired rise's interval).
        iterations_tolerance: check c allows the stronger attack to lower the worst case by this much
            (the upper end of the paired drop's interval).
        black_box_tolerance: check d allows the black-box attacks to beat the white-box worst case by
            this much (the upper end of the paired drop's interval).
        confidence: the coverage of the intervals of checks a, c and d.
        sample: the fraction of the images, in (0, 1], that the checks run on (chosen by
            :meth:`in_sample`); 1: every image.
        sample_seed: the seed of that choice.
    """

    def __init__(
        self,
        epsilons: Sequence[float] | None = None,
        black_box: Sequence[SegmentationAttack] = (),
        unbounded_attacks: Sequence[SegmentationAttack] | None = None,
        monotone_attacks: Sequence[SegmentationAttack] | None = None,
        unbounded_eps: float = 255.0,
        unbounded_max_dice: float = 0.05,
        factor: int = 2,
        monotone_tolerance: float = 0.01,
        iterations_tolerance: float = 0.01,
        black_box_tolerance: float = 0.01,
        confidence: float = 0.95,
        sample: float = 1.0,
        sample_seed: int = 0,
    ) -> None:
        self.epsilons = None if epsilons is None else sorted({eps_key(e) for e in epsilons})
        self.black_box = list(black_box)
        self.unbounded_attacks = None if unbounded_attacks is None else list(unbounded_attacks)
        self.monotone_attacks = None if monotone_attacks is None else list(monotone_attacks)
        self.unbounded_eps = eps_key(unbounded_eps)
        self.unbounded_max_dice = float(unbounded_max_dice)
        self.factor = int(factor)
        self.monotone_tolerance = float(monotone_tolerance)
        self.iterations_tolerance = float(iterations_tolerance)
        self.black_box_tolerance = float(black_box_tolerance)
        if not 0.0 < float(confidence) < 1.0:
            raise ValueError(f"confidence must be in (0, 1), got {confidence}.")
        self.confidence = float(confidence)
        if not 0.0 < float(sample) <= 1.0:
            raise ValueError(f"sample must be a fraction in (0, 1], got {sample}.")
        self.sample = float(sample)
        self.sample_seed = int(sample_seed)

    @classmethod
    def from_description(cls, description: Mapping[str, Any] | None) -> GradientMaskingChecks:
        """A judge with the scalar settings :meth:`describe` recorded (the intensities, the unbounded
        check's eps and Dice limit, the factor, the tolerances): all that :meth:`judge` needs to judge
        stored rows again. The attacks are not rebuilt, so it cannot run the checks itself. Settings
        absent from ``description`` keep their defaults.

        Args:
            description: the dict :meth:`describe` returned, e.g. a results store's ``settings["checks"]``.
        """
        recorded = description or {}
        names = ("epsilons", "unbounded_eps", "unbounded_max_dice", "factor", "monotone_tolerance",
                 "iterations_tolerance", "black_box_tolerance", "confidence", "sample", "sample_seed")
        return cls(**{name: recorded[name] for name in names if recorded.get(name) is not None})

    def check_epsilons(self, evaluated: Sequence[float]) -> list[float]:
        """The intensities where checks c and d run, given the evaluated ones (only those evaluated count)."""
        positive = sorted({eps_key(e) for e in evaluated if float(e) > 0})
        if self.epsilons is None:
            return positive
        return [e for e in self.epsilons if e in positive]

    def describe(self) -> dict[str, Any]:
        """The settings as a JSON-able dict."""
        return {
            "epsilons": self.epsilons,
            "black_box": [a.describe() for a in self.black_box],
            "unbounded_attacks": None if self.unbounded_attacks is None else [a.describe() for a in self.unbounded_attacks],
            "monotone_attacks": None if self.monotone_attacks is None else [a.describe() for a in self.monotone_attacks],
            "unbounded_eps": self.unbounded_eps,
            "unbounded_max_dice": self.unbounded_max_dice,
            "factor": self.factor,
            "monotone_tolerance": self.monotone_tolerance,
            "iterations_tolerance": self.iterations_tolerance,
            "black_box_tolerance": self.black_box_tolerance,
            "confidence": self.confidence,
            "sample": self.sample,
            "sample_seed": self.sample_seed,
        }

    def in_sample(self, case_id: str) -> bool:
        """Whether the checks run on image ``case_id``: a uniform draw from its id and ``sample_seed``, below ``sample``."""
        if self.sample >= 1.0:
            return True
        digest = hashlib.sha256(f"{self.sample_seed}:{case_id}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2.0**64 < self.sample

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
            members: the ensemble's member names (check a runs on each of them too, unless there are
                ``check_monotone`` rows: then on those alone).

        Returns:
            ``{check name: {"passed": True | False | None, ...its numbers}}``; ``None`` means not run
            (or, for a, c and d, not comparable per image). Checks c and d also hold ``per_eps``:
            ``{format_eps(eps): {"passed", "drop", "drop_low", "drop_high", "n_images", ...}}`` for each
            intensity where they ran.
        """
        table = {(r["attack"], eps_key(r["eps"])): r for r in rows}
        images: dict[tuple[str, float], dict[str, float]] = defaultdict(dict)
        for r in per_image:
            images[(r["attack"], eps_key(r["eps"]))][str(r["case_id"])] = float(r["dice"])
        evaluated = sorted(e for (a, e) in table if a == attack and e > 0)
        compare = {"table": table, "images": images, "attack": attack, "evaluated": evaluated}
        return {
            "monotone": self._monotone(per_image, self._monotone_attacks(per_image, attack, members)),
            "unbounded": self._unbounded(table),
            "more_iterations": self._compare(**compare, check=CHECK_MORE_ITERATIONS, tolerance=self.iterations_tolerance),
            "black_box": self._compare(**compare, check=CHECK_BLACK_BOX, tolerance=self.black_box_tolerance),
        }

    @staticmethod
    def _monotone_attacks(per_image: Sequence[Mapping[str, Any]], attack: str, members: Sequence[str]) -> list[str]:
        """The attacks check a is judged on: the ``check_monotone`` rows when there are any, else the evaluated ones."""
        if any(r["attack"] == CHECK_MONOTONE for r in per_image):
            return [CHECK_MONOTONE]
        return [attack, *members]

    def _monotone(self, per_image: Sequence[Mapping[str, Any]], attacks: Sequence[str]) -> dict[str, Any]:
        """Check a, per attack: the paired Dice change between consecutive intensities on the images attacked at both.

        The check fails where the upper end of a rise's interval exceeds the tolerance; ``worst`` is the
        pair of intensities with the highest upper end.
        """
        by_attack: dict[str, dict[float, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
        for r in per_image:
            if r["attack"] in attacks and eps_key(r["eps"]) > 0:
                by_attack[r["attack"]][eps_key(r["eps"])][str(r["case_id"])] = float(r["dice"])
        worst: dict[str, Any] = {"rise": None, "rise_low": None, "rise_high": None, "attack": None, "from_eps": None,
                                 "to_eps": None, "n_images": 0}
        for name, by_eps in by_attack.items():
            eps_list = sorted(by_eps)
            for lo, hi in zip(eps_list, eps_list[1:]):
                common = sorted(set(by_eps[lo]) & set(by_eps[hi]))
                if not common:
                    continue
                rise, low, high, n = paired_difference_interval(
                    [by_eps[hi][c] for c in common], [by_eps[lo][c] for c in common], confidence=self.confidence
                )
                if worst["rise_high"] is None or high > worst["rise_high"]:
                    worst = {"rise": rise, "rise_low": low, "rise_high": high, "attack": name, "from_eps": lo,
                             "to_eps": hi, "n_images": n}
        passed = None if worst["rise_high"] is None else worst["rise_high"] <= self.monotone_tolerance
        return {"passed": passed, "max_rise": worst["rise"], "max_rise_high": worst["rise_high"],
                "tolerance": self.monotone_tolerance, "attacks": list(attacks), "worst": worst}

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

    def _compare(self, table, images, attack: str, evaluated: Sequence[float], check: str, tolerance: float) -> dict[str, Any]:
        """Checks c and d: how much the check's rows lower the evaluator's worst case, at each check intensity.

        The drop is paired: per image, over the images that both the evaluated attack and the check scored
        there, (evaluated Dice - check Dice), with its bootstrap interval; a check run on a subset of the
        images (a resumed store) is compared on that subset (``n_images``, ``subset``). An intensity passes
        when the interval's upper end (``drop_high``) is within ``tolerance``. Without per-image rows for
        both (an older store) the two tables' means are reported (``paired`` False) but not judged.
        """
        per_eps = {}
        for eps in evaluated:
            if (check, eps) not in table or (attack, eps) not in table:
                continue
            base_images, check_images = images.get((attack, eps), {}), images.get((check, eps), {})
            common = sorted(set(base_images) & set(check_images))
            if common:
                base = [base_images[c] for c in common]
                checked = [check_images[c] for c in common]
                drop, low, high, n = paired_difference_interval(base, checked, confidence=self.confidence)
                per_eps[format_eps(eps)] = {
                    "passed": high <= tolerance, "dice": statistics.fmean(base), "checked_dice": statistics.fmean(checked),
                    "drop": drop, "drop_low": low, "drop_high": high, "paired": True, "n_images": n,
                    "subset": n < len(base_images),
                }
            else:
                base, checked = float(table[(attack, eps)]["dice"]), float(table[(check, eps)]["dice"])
                per_eps[format_eps(eps)] = {"passed": None, "dice": base, "checked_dice": checked, "drop": base - checked,
                                            "paired": False}
        judged = [v for v in per_eps.values() if v["passed"] is not None]
        if not judged:
            return {"passed": None, "tolerance": tolerance, "per_eps": per_eps}
        max_drop = max(v["drop"] for v in judged)
        max_high = max(v["drop_high"] for v in judged)
        passed = max_high <= tolerance if len(judged) == len(per_eps) else (False if max_high > tolerance else None)
        return {"passed": passed, "max_drop": max_drop, "max_drop_high": max_high, "tolerance": tolerance, "per_eps": per_eps}


@dataclass(frozen=True)
class IntensityVerdict:
    """The gradient-masking checks at one intensity: which failed there, which did not run there.

    Args:
        failed: the checks that failed (a model-wide check's failure counts at every intensity).
        unchecked: the checks that did not run (default: all four, i.e. nothing was checked).
    """

    failed: tuple[str, ...] = ()
    unchecked: tuple[str, ...] = CHECK_NAMES

    @property
    def passed(self) -> bool:
        """All four checks ran and passed: the figures at this intensity are not just upper bounds."""
        return not self.failed and not self.unchecked

    @property
    def status(self) -> str:
        """The ``checks`` column: ``passed``, ``failed:<checks>``, ``unchecked`` or ``unchecked:<checks>``, or both."""
        if self.passed:
            return STATUS_PASSED
        parts = [f"failed:{','.join(self.failed)}"] if self.failed else []
        if set(self.unchecked) == set(CHECK_NAMES):
            parts.append("unchecked")
        elif self.unchecked:
            parts.append(f"unchecked:{','.join(self.unchecked)}")
        return " ".join(parts)

    def describe(self) -> str:
        """The status in words, e.g. ``checks FAILED (more_iterations): upper bound``."""
        if self.passed:
            return "all four gradient-masking checks passed"
        parts = [f"FAILED ({', '.join(self.failed)})"] if self.failed else []
        if self.unchecked:
            everything = set(self.unchecked) == set(CHECK_NAMES)
            parts.append("not run" if everything else f"not run ({', '.join(self.unchecked)})")
        return f"checks {'; '.join(parts)}: upper bound"

    def to_dict(self) -> dict[str, Any]:
        """JSON-able: ``{"status", "failed", "unchecked", "upper_bound"}``."""
        return {
            "status": self.status,
            "failed": list(self.failed),
            "unchecked": list(self.unchecked),
            "upper_bound": not self.passed,
        }


def is_upper_bound(status: str | None, eps: float = 1.0) -> bool:
    """Whether a table cell with ``checks`` status ``status`` at intensity ``eps`` is only an upper bound.

    The clean score (``eps`` 0) is a measurement, never an upper bound; an adversarial figure is one
    unless its intensity's status is ``passed`` (an older table without the column counts as unchecked).

    Args:
        status: the ``checks`` column of a ``robustness.csv`` row.
        eps: the row's intensity.
    """
    return float(eps) > 0 and status != STATUS_PASSED


def _check_passed(check: Mapping[str, Any] | None, name: str, eps: float) -> bool | None:
    if not check:
        return None
    if name not in PER_INTENSITY_CHECKS:
        return check.get("passed")
    entry = (check.get("per_eps") or {}).get(format_eps(eps))
    if entry is None:
        return None
    if "passed" not in entry:  # an older report, judged on the mean drop
        return entry["drop"] <= check["tolerance"]
    return None if entry["passed"] is None else bool(entry["passed"])


def intensity_verdicts(
    checks: Mapping[str, Mapping[str, Any]] | None, epsilons: Iterable[float]
) -> dict[float, IntensityVerdict]:
    """Per evaluated intensity (> 0), the checks that failed or did not run there.

    Checks c and d count where they ran (their ``per_eps``); a and b are model-wide and count at every
    intensity. No checks at all: every intensity is unchecked.

    Args:
        checks: the output of :meth:`GradientMaskingChecks.judge`, or None.
        epsilons: the evaluated intensities.
    """
    verdicts = {}
    for eps in sorted({eps_key(e) for e in epsilons if float(e) > 0}):
        passed = {name: _check_passed((checks or {}).get(name), name, eps) for name in CHECK_NAMES}
        verdicts[eps] = IntensityVerdict(
            failed=tuple(n for n in CHECK_NAMES if passed[n] is False),
            unchecked=tuple(n for n in CHECK_NAMES if passed[n] is None),
        )
    return verdicts


def verdict(checks: Mapping[str, Mapping[str, Any]] | None, epsilons: Iterable[float] = ()) -> str:
    """One line for logs, reports and figures: per intensity, whether its figures may be read as robustness.

    Args:
        checks: the output of :meth:`GradientMaskingChecks.judge` (None: no checks were run).
        epsilons: the evaluated intensities; without them, only the checks' model-wide outcome is said.
    """
    if not checks:
        return "gradient-masking checks not run: every adversarial figure is an upper bound"
    verdicts = intensity_verdicts(checks, epsilons)
    if not verdicts:
        failed = tuple(n for n in CHECK_NAMES if checks.get(n, {}).get("passed") is False)
        missing = tuple(n for n in CHECK_NAMES if checks.get(n, {}).get("passed") is None)
        return IntensityVerdict(failed, missing).describe()
    groups: dict[IntensityVerdict, list[float]] = {}
    for eps, v in verdicts.items():
        groups.setdefault(v, []).append(eps)
    return "; ".join(f"eps {', '.join(format_eps(e) for e in eps)}: {v.describe()}" for v, eps in groups.items())
