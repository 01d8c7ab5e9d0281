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
"""The robustness files: their columns, reading, merging and atomic writing (the store's file format).

Three files per evaluated model, written atomically (``nlcen_monai.utils.atomic.atomic_write_text``,
readable by the team: 0666 & ~umask) so a crash never leaves a half-written table:

- ``robustness_per_image.csv``: ``case_id, attack, eps, dice, jaccard, source, passes``: every score
  of every image (``source`` names the member that gave an ensemble's worst case, ``passes`` the
  forward(-backward) passes that attack spent on that image at that intensity). It is the record the
  other two are computed from, and what an interrupted evaluation resumes from.
- ``robustness.csv``: one row per attack and intensity, ``attack, eps, dice, jaccard, n_images,
  passes, checks`` (``eps = 0`` is the clean image; ``dice``, ``jaccard`` and ``passes`` are means
  over the ``n_images`` images that attack scored; ``checks`` is the intensity's gradient-masking
  status, :mod:`nlcen_monai.robustness.checks`: ``passed``, else the figure is an upper bound).
- ``robustness.json``: ``{"rows": [...], "checks": {...}, "intensities": {...}, ...}``: the same rows
  with the checks' verdicts per intensity, the attack settings, and the passes and seconds spent.

:class:`~nlcen_monai.robustness.RobustnessResult` loads, merges and saves the three together; the
functions here are its file format, and :func:`write_robustness_table` / :func:`write_per_image_csv`
merge rows into files for scripts that have rows but no result.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from nlcen_monai.metrics.intervals import mean_interval
from nlcen_monai.utils.atomic import atomic_write_text

from .checks import is_upper_bound
from .keys import eps_key, format_eps
from .roles import RowRole, infer_role

__all__ = [
    "COLUMNS",
    "PER_IMAGE_COLUMNS",
    "read_robustness_csv",
    "read_robustness_json",
    "read_per_image_csv",
    "merge_rows",
    "merge_per_image",
    "table_rows",
    "rows_to_csv_text",
    "per_image_to_csv_text",
    "write_robustness_table",
    "write_per_image_csv",
    "row_key",
    "image_key",
    "json_rows",
]

COLUMNS = ("attack", "role", "eps", "dice", "dice_low", "dice_high", "jaccard", "n_images", "passes", "checks", "upper_bound")
PER_IMAGE_COLUMNS = ("case_id", "attack", "role", "eps", "dice", "jaccard", "source", "passes")
# columns an older file may lack, with the value they read as
_OPTIONAL = {"passes": None, "checks": "", "source": "", "dice_low": None, "dice_high": None, "role": "", "upper_bound": None}


def _optional_bool(value: Any) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if str(value) in ("True", "False"):
        return str(value) == "True"
    raise ValueError(f"expected True, False or nothing, got {value!r}")


def _optional_float(value: Any) -> float | None:
    return None if value is None or value == "" or (isinstance(value, float) and math.isnan(value)) else float(value)


_TYPES: dict[str, Callable] = {
    "attack": str,
    "eps": eps_key,
    "dice": float,
    "jaccard": float,
    "n_images": int,
    "case_id": str,
    "source": str,
    "passes": _optional_float,
    "dice_low": _optional_float,
    "dice_high": _optional_float,
    "checks": str,
    "role": str,
    "upper_bound": _optional_bool,
}


def _parse(row: Mapping[str, Any], path: str | os.PathLike, columns: Sequence[str]) -> dict[str, Any]:
    required = [c for c in columns if c not in _OPTIONAL]
    missing = [c for c in required if row.get(c) is None or (row[c] == "" and _TYPES[c] is not str)]
    if missing:
        raise ValueError(f"{path}: row {dict(row)} lacks the column(s) {missing}; expected {list(columns)}.")
    try:
        return {c: _TYPES[c](row[c]) if row.get(c) is not None else _OPTIONAL[c] for c in columns}
    except ValueError as e:
        raise ValueError(f"{path}: unreadable row {dict(row)}: {e}") from e


def _read_csv(path: str | os.PathLike, columns: Sequence[str]) -> list[dict[str, Any]]:
    if not os.path.isfile(path):
        return []
    with open(path, newline="", encoding="utf-8") as f:
        return [_parse(row, path, columns) for row in csv.DictReader(f)]


def read_robustness_csv(path: str | os.PathLike) -> list[dict[str, Any]]:
    """The rows of a ``robustness.csv`` (``COLUMNS``); [] if absent.

    An older file's missing columns read as None or "" (``passes``, ``dice_low``, ``dice_high``,
    ``checks``), its ``role`` as ``"check"`` for a check's row and "" otherwise, and its
    ``upper_bound`` is derived from ``checks`` (:func:`~nlcen_monai.robustness.checks.is_upper_bound`).

    Args:
        path: the CSV file.
    """
    rows = _read_csv(path, COLUMNS)
    for row in rows:
        if not row["role"]:
            role = infer_role(row["attack"])
            row["role"] = "" if role is None else role.value
        if row["upper_bound"] is None and row["role"] != RowRole.CHECK.value:
            row["upper_bound"] = is_upper_bound(row["checks"], row["eps"])
    return rows


def read_per_image_csv(path: str | os.PathLike) -> list[dict[str, Any]]:
    """The rows of a ``robustness_per_image.csv`` (``PER_IMAGE_COLUMNS``); [] when absent.

    Args:
        path: the CSV file.
    """
    return _read_csv(path, PER_IMAGE_COLUMNS)


def read_robustness_json(path: str | os.PathLike) -> dict[str, Any]:
    """The content of a ``robustness.json`` (``{"rows": [...], "checks": {...}, ...}``); ``{}`` when absent.

    Args:
        path: the JSON file.
    """
    if not os.path.isfile(path):
        return {}
    with open(path, encoding="utf-8") as f:
        content = json.load(f)
    if not isinstance(content, dict) or "rows" not in content:
        raise ValueError(f"{path}: expected an object with 'rows', as written by RobustnessResult.save.")
    return content


def _merge(old: Iterable[Mapping[str, Any]], new: Iterable[Mapping[str, Any]], key: Callable) -> list[dict[str, Any]]:
    merged = {key(r): dict(r, eps=eps_key(r["eps"])) for r in old}
    merged.update({key(r): dict(r, eps=eps_key(r["eps"])) for r in new})
    return [merged[k] for k in sorted(merged)]


def row_key(row: Mapping[str, Any]) -> tuple[str, float]:
    """``(attack, eps)``: the identity of a table row."""
    return str(row["attack"]), eps_key(row["eps"])


def image_key(row: Mapping[str, Any]) -> tuple[str, float, str]:
    """``(attack, eps, case_id)``: the identity of a per-image row."""
    return str(row["attack"]), eps_key(row["eps"]), str(row["case_id"])


def merge_rows(old: Iterable[Mapping[str, Any]], new: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Old table rows updated by new ones (same attack and intensity: the new row wins), sorted by attack then eps.

    Args:
        old: rows already written.
        new: rows just computed.
    """
    return _merge(old, new, row_key)


def merge_per_image(old: Iterable[Mapping[str, Any]], new: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Old per-image rows updated by new ones (same attack, intensity and case: the new row wins), sorted.

    Args:
        old: rows already written.
        new: rows just computed (``source`` and ``passes`` may be missing).
    """
    new = [{**r, "source": r.get("source") or "", "passes": _optional_float(r.get("passes"))} for r in new]
    return _merge(old, new, image_key)


def _mean(values: Sequence[float | None]) -> float | None:
    known = [float(v) for v in values if v is not None]
    return sum(known) / len(known) if known else None


def table_rows(per_image: Iterable[Mapping[str, Any]], cases: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """The table rows (``attack, eps, dice, dice_low, dice_high, jaccard, n_images, passes``) averaged from per-image rows.

    Each attack's mean is over the cases it scored (``n_images``): a worst-case member scores only
    the images still unbroken when its turn came. ``dice_low``/``dice_high`` bound the mean Dice's 95 %
    percentile-bootstrap interval over those images (:func:`nlcen_monai.metrics.mean_interval`, seed 0).
    ``passes`` is the mean per image (None if unknown).

    Args:
        per_image: rows of a ``robustness_per_image.csv``.
        cases: only these case ids (e.g. the images two evaluations on different subsets share); None: all.
    """
    keep = None if cases is None else {str(c) for c in cases}
    groups: dict[tuple[str, float], list[Mapping[str, Any]]] = {}
    for r in per_image:
        if keep is None or str(r["case_id"]) in keep:
            groups.setdefault(row_key(r), []).append(r)
    rows = []
    for (attack, eps), group in sorted(groups.items()):
        dice, low, high, n = mean_interval([float(r["dice"]) for r in group])
        rows.append({
            "attack": attack,
            "role": group[0].get("role") or "",
            "eps": eps,
            "dice": dice,
            "dice_low": low,
            "dice_high": high,
            "jaccard": sum(float(r["jaccard"]) for r in group) / len(group),
            "n_images": n,
            "passes": _mean([r.get("passes") for r in group]),
        })
    return rows


def _csv_text(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        cells = {**_OPTIONAL, **row, "eps": format_eps(row["eps"])}
        writer.writerow({c: "" if cells.get(c) is None else cells[c] for c in columns})
    return buf.getvalue()


def rows_to_csv_text(rows: Iterable[Mapping[str, Any]]) -> str:
    """The CSV text of table ``rows`` with the header ``COLUMNS`` (None is an empty cell)."""
    return _csv_text(rows, COLUMNS)


def per_image_to_csv_text(rows: Iterable[Mapping[str, Any]]) -> str:
    """The CSV text of per-image ``rows`` with the header ``PER_IMAGE_COLUMNS`` (None is an empty cell)."""
    return _csv_text(rows, PER_IMAGE_COLUMNS)


def json_rows(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Table rows as the JSON report lists them: ``COLUMNS`` only, missing optional ones as None/""."""
    return [{c: row.get(c, _OPTIONAL.get(c)) for c in COLUMNS} for row in rows]


def write_robustness_table(
    rows: Iterable[Mapping[str, Any]],
    csv_path: str | os.PathLike,
    json_path: str | os.PathLike | None = None,
    extra: Mapping[str, Any] | Callable[[list[dict[str, Any]]], Mapping[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Merge table ``rows`` into the CSV at ``csv_path`` and rewrite the JSON copy; returns all rows.

    For scripts that have table rows but no per-image record; an evaluation saves a
    :class:`~nlcen_monai.robustness.RobustnessResult` instead.

    Args:
        rows: new rows (``COLUMNS`` keys; ``passes`` and ``checks`` may be missing).
        csv_path: the CSV file; rows already there for other (attack, eps) pairs are kept.
        json_path: where to write ``{"rows": all rows, **extra}``; None for no JSON. Keys of the old
            JSON that ``extra`` does not replace are kept.
        extra: more JSON content, or a function of all rows that returns it.
    """
    merged = merge_rows(read_robustness_csv(csv_path), rows)
    atomic_write_text(csv_path, rows_to_csv_text(merged))
    if json_path is not None:
        content = {k: v for k, v in read_robustness_json(json_path).items() if k != "rows"}
        content.update(extra(merged) if callable(extra) else dict(extra or {}))
        atomic_write_text(json_path, json.dumps({"rows": json_rows(merged), **content}, indent=2) + "\n")
    return merged


def write_per_image_csv(rows: Iterable[Mapping[str, Any]], path: str | os.PathLike) -> list[dict[str, Any]]:
    """Merge per-image ``rows`` into the CSV at ``path`` (same case, attack and eps: the new row wins).

    Args:
        rows: new rows (``PER_IMAGE_COLUMNS`` keys; ``source`` and ``passes`` may be missing or empty).
        path: the CSV file.
    """
    merged = merge_per_image(read_per_image_csv(path), rows)
    atomic_write_text(path, per_image_to_csv_text(merged))
    return merged
