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
"""The files of a corruption evaluation: the per-image record (``per_image.csv``) and its summary (``summary.json``).

The record has one row per image, corruption and severity, with columns ``case``, ``corruption``,
``severity``, ``parameter`` (the corruption's parameter value at that severity), ``dice`` and ``jaccard``.
The clean images are recorded once, as corruption ``"none"`` at severity 0: severity 0 of every corruption
is the identity. Rows are written sorted (clean first, then the corruptions in the order of
:data:`~nlcen_monai.robustness.corruptions.CORRUPTIONS`, severities ascending, cases by name), so that a
resumed run writes the same file as an uninterrupted one.

The summary holds, per corruption and severity, the mean score over the images with its percentile-bootstrap
interval (:func:`~nlcen_monai.metrics.mean_interval`) and the number of images. It is a function of the
record only, so it can always be rebuilt from it (:func:`summarise_corruptions`).
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from nlcen_monai.metrics.intervals import mean_interval
from nlcen_monai.robustness.corruptions import CORRUPTIONS
from nlcen_monai.utils.atomic import atomic_write_json, atomic_write_text

__all__ = [
    "CLEAN",
    "DECIMALS",
    "RECORD_COLUMNS",
    "RECORD_FILE",
    "SUMMARY_FILE",
    "complete_units",
    "read_corruption_record",
    "sort_record",
    "summarise_corruptions",
    "write_corruption_record",
    "write_corruption_summary",
]

#: the corruption name of the clean images (severity 0)
CLEAN = "none"
RECORD_COLUMNS = ("case", "corruption", "severity", "parameter", "dice", "jaccard")
RECORD_FILE = "per_image.csv"
SUMMARY_FILE = "summary.json"
#: decimals kept of a score, so that a record read back gives the numbers it was summarised from
DECIMALS = 6


def _corruption_rank(name: str) -> tuple[int, str]:
    """Clean first, then the table's order, then any other name alphabetically."""
    order = [CLEAN, *CORRUPTIONS]
    return (order.index(name), "") if name in order else (len(order), name)


def sort_record(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """``rows`` sorted as a record is written: clean first, the table's corruption order, severity, case."""
    return sorted((dict(r) for r in rows), key=lambda r: (_corruption_rank(r["corruption"]), r["severity"], r["case"]))


def _parameter(text: str) -> float | None:
    return None if text in ("", None) else float(text)


def read_corruption_record(path: os.PathLike | str) -> list[dict[str, Any]]:
    """The rows of a ``per_image.csv`` (typed: severity int, parameter float or None, scores float); [] if absent.

    Args:
        path: the record file.

    Raises:
        ValueError: when the file lacks one of :data:`RECORD_COLUMNS`, naming it.
    """
    path = Path(path)
    if not path.is_file():
        return []
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        missing = [c for c in RECORD_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"corruption record '{path}' lacks the column(s) {missing}.")
        return [
            {
                "case": r["case"],
                "corruption": r["corruption"],
                "severity": int(r["severity"]),
                "parameter": _parameter(r["parameter"]),
                "dice": float(r["dice"]),
                "jaccard": float(r["jaccard"]),
            }
            for r in reader
        ]


def _format_number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def write_corruption_record(path: os.PathLike | str, rows: Iterable[Mapping[str, Any]]) -> Path:
    """Write ``rows`` (sorted, scores rounded to 6 decimals) as a ``per_image.csv``, atomically.

    Args:
        path: the record file.
        rows: dicts with the keys of :data:`RECORD_COLUMNS`.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(RECORD_COLUMNS)
    for r in sort_record(rows):
        scores = [repr(round(float(r[k]), DECIMALS)) for k in ("dice", "jaccard")]
        writer.writerow([r["case"], r["corruption"], int(r["severity"]), _format_number(r["parameter"]), *scores])
    return atomic_write_text(path, buffer.getvalue())


def complete_units(
    rows: Iterable[Mapping[str, Any]], cases: Sequence[str], parameters: Mapping[tuple[str, int], float | None]
) -> set[tuple[str, int]]:
    """The (corruption, severity) units of ``parameters`` whose rows cover every case with the same parameter.

    A unit recorded with another parameter value (the table or the config changed since) or for other images
    is not complete: a resumed evaluation computes it again.

    Args:
        rows: the rows of a record.
        cases: the names of the images the evaluation covers.
        parameters: the parameter value of every planned unit (None for the clean unit).
    """
    seen: dict[tuple[str, int], dict[str, float | None]] = {}
    for r in rows:
        seen.setdefault((r["corruption"], int(r["severity"])), {})[r["case"]] = r["parameter"]
    done = set()
    for unit, value in parameters.items():
        recorded = seen.get(unit, {})
        if all(c in recorded and _same(recorded[c], value) for c in cases):
            done.add(unit)
    return done


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)


def summarise_corruptions(
    rows: Iterable[Mapping[str, Any]],
    metric: str = "dice",
    confidence: float = 0.95,
    n_boot: int = 10000,
    seed: int = 0,
) -> dict[str, Any]:
    """Mean ``metric`` with its bootstrap interval and image count, per corruption and severity of a record.

    Args:
        rows: the rows of a record.
        metric: ``"dice"`` or ``"jaccard"``.
        confidence: the intervals' coverage.
        n_boot: bootstrap resamples per interval.
        seed: the bootstrap seed (the same for every unit).

    Returns:
        ``{"metric", "confidence", "n_boot", "seed", "rows": [{"corruption", "severity", "parameter", "mean",
        "lo", "hi", "n"}, ...]}``, the rows in the record's order.
    """
    if metric not in ("dice", "jaccard"):
        raise ValueError(f"metric must be 'dice' or 'jaccard', got {metric!r}.")
    units: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for r in sort_record(rows):
        units.setdefault((r["corruption"], r["severity"]), []).append(r)
    summary_rows = []
    for (corruption, severity), members in units.items():
        mean, lo, hi, n = mean_interval([m[metric] for m in members], confidence=confidence, n_boot=n_boot, seed=seed)
        summary_rows.append(
            {
                "corruption": corruption,
                "severity": severity,
                "parameter": members[0]["parameter"],
                "mean": mean,
                "lo": lo,
                "hi": hi,
                "n": n,
            }
        )
    return {"metric": metric, "confidence": confidence, "n_boot": n_boot, "seed": seed, "rows": summary_rows}


def write_corruption_summary(path: os.PathLike | str, summary: Mapping[str, Any]) -> Path:
    """Write a summary of :func:`summarise_corruptions` as JSON, atomically."""
    return atomic_write_json(path, dict(summary))
