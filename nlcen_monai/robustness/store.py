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
"""The results store: one typed robustness result, loaded, merged and saved in one place.

:class:`RobustnessResult` holds what an evaluation found: every image's score per attack and
intensity (the record everything else is computed from), the judged gradient-masking checks, the
attack settings, and the passes and seconds spent. The table (one row per attack and intensity),
each intensity's check status, the one-line verdict and the ``engine.state.metrics`` values are
derived from it, so they cannot disagree. The evaluator adds each batch's rows to it, handlers
read it from ``engine.state.robustness``, and :meth:`RobustnessResult.save` /
:meth:`RobustnessResult.load` write and read the three files of :mod:`nlcen_monai.robustness.results`
(:class:`ResultFiles` names them, and the per-rank journals a multi-process run keeps until it ends).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from nlcen_monai.utils.atomic import atomic_write_text

from .checks import CHECK_BLACK_BOX, CHECK_MONOTONE, CHECK_MORE_ITERATIONS, CHECK_UNBOUNDED, intensity_verdicts, verdict
from .keys import KINDS, MetricKey, eps_key, format_eps
from .fingerprint import MODEL_KEY, models_differ
from .results import (
    image_key,
    json_rows,
    merge_rows,
    per_image_to_csv_text,
    read_per_image_csv,
    read_robustness_csv,
    read_robustness_json,
    row_key,
    rows_to_csv_text,
    table_rows,
)
from .roles import RowRole, infer_role
from .stale import recorded_settings, stale_rows

__all__ = ["PASS_COUNTERS", "ResultFiles", "RobustnessResult"]

#: the counters a result sums over resumed runs: passes run, passes saved by the worst case's skipping, seconds
PASS_COUNTERS = ("run", "saved", "seconds")
# each check's own row (its black-box attacks' rows are parts of check d's)
_CHECK_ROWS = frozenset((CHECK_MONOTONE, CHECK_UNBOUNDED, CHECK_MORE_ITERATIONS, CHECK_BLACK_BOX))


@dataclass(frozen=True)
class ResultFiles:
    """Where a result is kept: the table, the JSON report and the per-image record (None: not written).

    Args:
        csv: ``robustness.csv``.
        json: ``robustness.json``.
        per_image: ``robustness_per_image.csv``; without it a run cannot resume inside an intensity.
    """

    csv: Path | None
    json: Path | None = None
    per_image: Path | None = None

    @classmethod
    def in_dir(
        cls,
        output_dir: str | os.PathLike,
        csv_filename: str | None = "robustness.csv",
        json_filename: str | None = "robustness.json",
        per_image_filename: str | None = "robustness_per_image.csv",
    ) -> ResultFiles:
        """The files of that name in ``output_dir`` (a None name is not written)."""
        folder = Path(output_dir)
        return cls(*(None if name is None else folder / name for name in (csv_filename, json_filename, per_image_filename)))

    @classmethod
    def of_table(cls, csv_path: str | os.PathLike) -> ResultFiles:
        """The files beside a table ``<name>.csv``: ``<name>.json`` and ``<name>_per_image.csv``."""
        csv_path = Path(csv_path)
        return cls(csv_path, csv_path.with_suffix(".json"), csv_path.with_name(f"{csv_path.stem}_per_image.csv"))

    @property
    def folder(self) -> Path | None:
        """The folder of the files (that of the first one named; None: none is named)."""
        named = [p for p in (self.per_image, self.json, self.csv) if p is not None]
        return named[0].parent if named else None

    def journal(self, rank: int) -> ResultFiles:
        """Rank ``rank``'s journal under ``torchrun``: ``<per-image>.rank<r>.csv`` and ``<json>.rank<r>.json``, no table."""

        def tagged(path: Path | None) -> Path | None:
            return None if path is None else path.with_name(f"{path.stem}.rank{int(rank)}{path.suffix}")

        return ResultFiles(None, tagged(self.json), tagged(self.per_image))

    def journals(self) -> list[ResultFiles]:
        """The journals present on disk (left by a multi-process run that did not finish)."""
        if self.per_image is None or not self.per_image.parent.is_dir():
            return []
        found = sorted(self.per_image.parent.glob(f"{self.per_image.stem}.rank*{self.per_image.suffix}"))
        ranks = [p.name[len(self.per_image.stem) + 5 : -len(self.per_image.suffix)] for p in found]
        return [self.journal(int(r)) for r in ranks if r.isdigit()]

    def remove(self) -> None:
        """Delete these files (a journal, once merged into the main files)."""
        for path in (self.csv, self.json, self.per_image):
            if path is not None and path.exists():
                path.unlink()


def _image_row(row: Mapping[str, Any]) -> dict[str, Any]:
    passes = row.get("passes")
    return {
        "case_id": str(row["case_id"]),
        "attack": str(row["attack"]),
        "role": str(getattr(row.get("role"), "value", row.get("role")) or ""),
        "eps": eps_key(row["eps"]),
        "dice": float(row["dice"]),
        "jaccard": float(row["jaccard"]),
        "source": row.get("source") or "",
        "passes": None if passes is None else float(passes),
    }


@dataclass
class RobustnessResult:
    """The robustness of one model: per-image scores, the checks, the settings and the cost, summed over resumed runs.

    Args:
        attack: the evaluated attack's name (a worst-case ensemble's, or a single attack's); its rows
            are the model's figures, the other rows are its members' and the checks'.
        images: the per-image rows (``PER_IMAGE_COLUMNS``) by ``(attack, eps, case_id)``.
        legacy_rows: table rows read from a ``robustness.csv`` without per-image rows behind them
            (an older file, or one written by ``write_robustness_table``), kept as they are.
        checks: the judged gradient-masking checks (:meth:`GradientMaskingChecks.judge`), None: not judged.
        settings: the last run's attack and check settings, as JSON, and under ``"attacks"`` every evaluated
            attack's own.
        passes: the counters of :data:`PASS_COUNTERS`.
        complete: False while an evaluation is adding rows (a file saved then is a partial result).
        origin: where the result was read from (its files' folder, named in errors; "": not read from files).
            It is not saved, and results that differ only in it are equal.

    The settings also name the model the rows belong to (``"model"``: its
    :func:`~nlcen_monai.robustness.fingerprint.model_fingerprint`, recorded by the evaluator); a store
    written before that was recorded names none.
    """

    attack: str = ""
    images: dict[tuple[str, float, str], dict[str, Any]] = field(default_factory=dict)
    legacy_rows: list[dict[str, Any]] = field(default_factory=list)
    checks: dict[str, Any] | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    passes: dict[str, float] = field(default_factory=lambda: dict.fromkeys(PASS_COUNTERS, 0.0))
    complete: bool = False
    origin: str = field(default="", compare=False)

    # ---- adding -------------------------------------------------------------------------------------------

    def add(self, rows: Iterable[Mapping[str, Any]], **counters: float) -> None:
        """Add per-image rows (the same attack, intensity and case: the new row wins) and add to the counters.

        Args:
            rows: per-image rows (``role``, ``source`` and ``passes`` may be missing; a missing role, in a
                record made before rows carried one, is inferred by :meth:`_infer_role`).
            counters: amounts to add, e.g. ``run=120, seconds=3.5`` (see :data:`PASS_COUNTERS`).
        """
        for row in rows:
            row = _image_row(row)
            if not row["role"]:
                row["role"] = self._infer_role(row["attack"])
            self.images[image_key(row)] = row
        for name, value in counters.items():
            if name not in PASS_COUNTERS:
                raise ValueError(f"unknown counter {name!r}; expected one of {PASS_COUNTERS}.")
            self.passes[name] = float(self.passes.get(name, 0.0)) + float(value)

    def _infer_role(self, attack: str) -> str:
        """The role a row named ``attack`` recorded without one has (:func:`~nlcen_monai.robustness.roles.infer_role`,
        from the evaluated attacks and the black-box attacks the settings name); "" when it cannot be told."""
        evaluated = {self.attack, *(self.settings.get("attacks") or {})} - {""}
        black_box = ((self.settings.get("checks") or {}).get("black_box")) or []
        role = infer_role(attack, evaluated, {d.get("name") for d in black_box if isinstance(d, Mapping)})
        return "" if role is None else role.value

    def has(self, attack: str, eps: float, case_id: str) -> bool:
        """Whether the score of ``attack`` at ``eps`` on image ``case_id`` is recorded."""
        return (str(attack), eps_key(eps), str(case_id)) in self.images

    def drop_stale(self, settings: Mapping[str, Any]) -> str:
        """Forget the rows that were made under other settings than ``settings`` (see :func:`stale_rows`).

        Args:
            settings: the settings of the evaluation about to add rows (its attack's and checks' ``describe()``).

        Returns:
            what changed and how many rows that made stale, in words ("": nothing changed).
        """
        changed, stale = stale_rows(self.settings, settings)
        images = {k: r for k, r in self.images.items() if not stale(r["attack"], r["eps"])}
        legacy = [r for r in self.legacy_rows if not stale(str(r["attack"]), r["eps"])]
        dropped = len(self.images) - len(images) + len(self.legacy_rows) - len(legacy)
        self.images, self.legacy_rows = images, legacy
        return f"{', '.join(changed)} changed: {dropped} recorded rows dropped" if changed else ""

    def merged(self, other: RobustnessResult) -> RobustnessResult:
        """This result updated by ``other`` (a later run or another rank): rows united, counters summed.

        Args:
            other: its rows win over the same rows here; its attack, checks and settings win when set (the
                settings keep every evaluated attack's description, :func:`recorded_settings`).
        """
        return RobustnessResult(
            attack=other.attack or self.attack,
            images={**self.images, **other.images},
            legacy_rows=merge_rows(self.legacy_rows, other.legacy_rows),
            checks=other.checks if other.checks is not None else self.checks,
            settings=recorded_settings(self.settings, other.settings) if other.settings else self.settings,
            passes={k: float(self.passes.get(k, 0.0)) + float(other.passes.get(k, 0.0)) for k in PASS_COUNTERS},
            complete=other.complete,
            origin=self.origin or other.origin,
        )

    def copy(self) -> RobustnessResult:
        """A copy whose rows and counters can change independently."""
        return replace(self, images=dict(self.images), legacy_rows=list(self.legacy_rows), passes=dict(self.passes))

    # ---- what is derived ---------------------------------------------------------------------------------

    @property
    def per_image(self) -> list[dict[str, Any]]:
        """The per-image rows, sorted by attack, intensity and case."""
        return [self.images[k] for k in sorted(self.images)]

    @property
    def epsilons(self) -> list[float]:
        """The intensities (> 0) at which the evaluated attack has figures."""
        return sorted({e for (a, e) in self._table() if a == self.attack and e > 0})

    def _table(self) -> dict[tuple[str, float], dict[str, Any]]:
        rows = merge_rows(self.legacy_rows, table_rows(self.images.values()))
        return {row_key(r): r for r in rows}

    @property
    def rows(self) -> list[dict[str, Any]]:
        """The table: per attack and intensity, its role, the mean Dice with its interval, Jaccard and passes,
        ``n_images``, ``checks`` and ``upper_bound``.

        ``checks`` is the intensity's status (:class:`~nlcen_monai.robustness.IntensityVerdict`) on every
        adversarial row but the checks' own, and ``upper_bound`` whether that row's figure is only an upper
        bound (False on the clean rows, which are measurements; None on the checks' rows, which are no figure).
        """
        table = self._table()
        verdicts = intensity_verdicts(self.checks, {e for (_, e) in table})
        rows = []
        for r in table.values():
            if r.get("role") == RowRole.CHECK.value:
                rows.append({**r, "checks": "", "upper_bound": None})
            elif r["eps"] == 0:
                rows.append({**r, "checks": "", "upper_bound": False})
            else:
                rows.append({**r, "checks": verdicts[r["eps"]].status, "upper_bound": not verdicts[r["eps"]].passed})
        return rows

    @property
    def recorded_passes(self) -> float:
        """The passes behind the rows the record holds: each evaluated row's (a worst case's includes its members')
        and each check's own row's (``check_monotone``, ..., ``check_black_box``, which includes its black-box
        attacks'), summed.

        For a record grown by resumed runs this equals ``passes["run"]``; the counter is larger when rows were
        dropped as stale (their passes were run, their rows are gone) or when a record was merged into a copy of
        itself (its counters summed twice, its rows not). A row without a ``passes`` value counts 0.
        """
        total = 0.0
        for row in self.images.values():
            aggregate = row["role"] == RowRole.EVALUATED.value or row["attack"] in _CHECK_ROWS
            if aggregate and row.get("passes") is not None:
                total += float(row["passes"])
        return total

    @property
    def verdict(self) -> str:
        """The checks in one line, per intensity of the evaluated attack."""
        return verdict(self.checks, self.epsilons)

    def metrics(self, attacks: Sequence[str] | None = None) -> dict[str, float]:
        """``{MetricKey name: value}`` of every table row, e.g. ``{"dice_eps8": ..., "dice_pgd_eps8": ...}``.

        The evaluated attack's rows are named without the attack (``MetricKey(kind, eps)``).

        Args:
            attacks: only these attacks' rows (None: all).
        """
        values = {}
        for r in self._table().values():
            if attacks is None or r["attack"] in attacks:
                attack = None if r["attack"] == self.attack else r["attack"]
                for kind in KINDS:
                    values[MetricKey(kind, r["eps"], attack).to_name()] = float(r[kind])
        return values

    def report(self) -> dict[str, Any]:
        """The content of ``robustness.json``: rows, checks, per-intensity verdicts, verdict, settings, passes."""
        return {
            "attack": self.attack,
            "complete": self.complete,
            "rows": json_rows(self.rows),
            "checks": self.checks,
            "intensities": {format_eps(e): v.to_dict() for e, v in intensity_verdicts(self.checks, self.epsilons).items()},
            "verdict": self.verdict,
            "settings": self.settings,
            "passes": dict(self.passes),
        }

    # ---- transport and files ------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Everything, JSON-able (to broadcast or gather between ranks)."""
        return {
            "attack": self.attack,
            "per_image": self.per_image,
            "legacy_rows": self.legacy_rows,
            "checks": self.checks,
            "settings": self.settings,
            "passes": self.passes,
            "complete": self.complete,
        }

    @classmethod
    def from_dict(cls, content: Mapping[str, Any]) -> RobustnessResult:
        """The result :meth:`to_dict` gave."""
        result = cls(
            attack=content.get("attack") or "",
            legacy_rows=[dict(r) for r in content.get("legacy_rows", [])],
            checks=content.get("checks"),
            settings=dict(content.get("settings") or {}),
            complete=bool(content.get("complete", False)),
        )
        counters = {k: v for k, v in (content.get("passes") or {}).items() if k in PASS_COUNTERS}
        result.add(content.get("per_image", []), **counters)
        return result

    def save(self, files: ResultFiles) -> None:
        """Write the files named in ``files``, each atomically (what is on disk is replaced: load first to resume).

        Args:
            files: where; None entries are skipped.
        """
        if files.per_image is not None:
            atomic_write_text(files.per_image, per_image_to_csv_text(self.per_image))
        if files.csv is not None:
            atomic_write_text(files.csv, rows_to_csv_text(self.rows))
        if files.json is not None:
            atomic_write_text(files.json, json.dumps(self.report(), indent=2) + "\n")

    @classmethod
    def load(cls, files: ResultFiles, journals: bool = True) -> RobustnessResult:
        """The result saved in ``files`` (empty when nothing is there), with the journals of an unfinished multi-process run.

        A journal whose rows are all in the main files already, unchanged, is not merged again, so that its pass
        counters are not summed twice (a resumed evaluation attacks only the images the record lacks, so a row of a
        later run is never identical to a recorded one).

        Args:
            files: where.
            journals: also merge the per-rank journals found beside the per-image record.

        Raises:
            ValueError: a journal's settings name another model than the main files' (both name one).
        """
        per_image = read_per_image_csv(files.per_image) if files.per_image is not None else []
        report = read_robustness_json(files.json) if files.json is not None else {}
        recorded = {row_key(r) for r in per_image}
        table = read_robustness_csv(files.csv) if files.csv is not None else []
        result = cls(
            attack=report.get("attack") or "",
            legacy_rows=[{k: v for k, v in r.items() if k not in ("checks", "upper_bound")} for r in table
                         if row_key(r) not in recorded],
            checks=report.get("checks"),
            settings=dict(report.get("settings") or {}),
            complete=bool(report.get("complete", bool(report))),
            origin="" if files.folder is None else str(files.folder),
        )
        result.add(per_image, **{k: v for k, v in (report.get("passes") or {}).items() if k in PASS_COUNTERS})
        for journal in files.journals() if journals else []:
            part = cls.load(journal, journals=False)
            model, journal_model = result.settings.get(MODEL_KEY), part.settings.get(MODEL_KEY)
            if models_differ(model, journal_model):
                raise ValueError(
                    f"{journal.json or journal.per_image}: this journal was made with another model (fingerprint "
                    f"{journal_model}) than the results beside it ({model}); remove one of them."
                )
            # a journal whose every row the main files already hold, unchanged, was merged into them before (the
            # main files were saved and the journal was not removed): its counters are in them already
            if part.images and all(result.images.get(key) == row for key, row in part.images.items()):
                continue
            result = result.merged(part)
        return result
