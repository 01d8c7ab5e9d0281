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
"""The robustness results on disk: their schema, the intensity keys, reading, merging and atomic writing.

Three files per evaluated model, all rewritten atomically (``nlcen_monai.utils.atomic.atomic_write_text``,
readable by the team: 0666 & ~umask) so a crash
never leaves a half-written table, and all merged with what is already there so an interrupted
evaluation resumes where it stopped:

- ``robustness.csv``: one row per attack and intensity, ``attack, eps, dice, jaccard, n_images``
  (``eps = 0`` is the clean image). A worst-case evaluation writes a row for the ensemble and one
  for each member (``n_images`` says how many images that member attacked), and the
  gradient-masking checks write their own ``check_*`` rows.
- ``robustness.json``: ``{"rows": [...], "checks": {...}, ...}``: the same rows plus the checks'
  verdicts and whatever the evaluator records beside them (attack settings, passes run and saved).
- ``robustness_per_image.csv``: ``case_id, attack, eps, dice, jaccard, source``: which attack
  breaks which image (``source`` names the member that gave an ensemble's worst case).
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from nlcen_monai.utils.atomic import atomic_write_text

__all__ = [
    "COLUMNS",
    "PER_IMAGE_COLUMNS",
    "eps_key",
    "metric_name",
    "read_robustness_csv",
    "read_robustness_json",
    "done_epsilons",
    "merge_rows",
    "rows_to_csv_text",
    "write_robustness_table",
    "read_per_image_csv",
    "write_per_image_csv",
    "rows_over_cases",
]

COLUMNS = ("attack", "eps", "dice", "jaccard", "n_images")
PER_IMAGE_COLUMNS = ("case_id", "attack", "eps", "dice", "jaccard", "source")


def eps_key(eps: float) -> float:
    """An intensity rounded to 6 decimals, the identity used to match rows (0.5 == 0.50000001)."""
    return round(float(eps), 6)


def metric_name(kind: str, eps: float, attack: str | None = None) -> str:
    """The ``engine.state.metrics`` name of a score: ``dice_eps8`` (the evaluator's attack) or ``dice_pgd_eps8``.

    Args:
        kind: ``"dice"`` or ``"jaccard"``.
        eps: the intensity (0 = clean).
        attack: a member's or a check's name; None for the evaluator's own attack.
    """
    return f"{kind}_eps{eps_key(eps):g}" if attack is None else f"{kind}_{attack}_eps{eps_key(eps):g}"


def _parse(row: Mapping[str, Any], path: str | os.PathLike, columns: Sequence[str], types: Mapping[str, Callable]):
    missing = [c for c in columns if c not in row or row[c] is None or (row[c] == "" and types[c] is not str)]
    if missing:
        raise ValueError(f"{path}: row {dict(row)} lacks the column(s) {missing}; expected {list(columns)}.")
    try:
        return {c: types[c](row[c]) for c in columns}
    except ValueError as e:
        raise ValueError(f"{path}: unreadable row {dict(row)}: {e}") from e


_TYPES = {"attack": str, "eps": eps_key, "dice": float, "jaccard": float, "n_images": int, "case_id": str, "source": str}


def _read_csv(path: str | os.PathLike, columns: Sequence[str]) -> list[dict[str, Any]]:
    if not os.path.isfile(path):
        return []
    with open(path, newline="", encoding="utf-8") as f:
        return [_parse(row, path, columns, _TYPES) for row in csv.DictReader(f)]


def read_robustness_csv(path: str | os.PathLike) -> list[dict[str, Any]]:
    """The rows of a ``robustness.csv``; an empty list when the file does not exist.

    Args:
        path: the CSV file.
    """
    return _read_csv(path, COLUMNS)


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
        raise ValueError(f"{path}: expected an object with 'rows', as written by write_robustness_table.")
    return content


def done_epsilons(path: str | os.PathLike, attack: str) -> list[float]:
    """The intensities already in the CSV at ``path`` for ``attack`` (sorted).

    Args:
        path: the CSV file (missing means nothing done).
        attack: the attack name as written in the ``attack`` column.
    """
    return sorted({row["eps"] for row in read_robustness_csv(path) if row["attack"] == attack})


def _merge(old: Iterable[Mapping[str, Any]], new: Iterable[Mapping[str, Any]], key: Callable) -> list[dict[str, Any]]:
    merged = {key(r): dict(r, eps=eps_key(r["eps"])) for r in old}
    merged.update({key(r): dict(r, eps=eps_key(r["eps"])) for r in new})
    return [merged[k] for k in sorted(merged)]


def merge_rows(old: Iterable[Mapping[str, Any]], new: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Old rows updated by new ones (same attack and intensity: the new row wins), sorted by attack then eps.

    Args:
        old: rows already written.
        new: rows just computed.
    """
    return _merge(old, new, lambda r: (str(r["attack"]), eps_key(r["eps"])))


def _csv_text(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({**row, "eps": f"{float(row['eps']):g}"})
    return buf.getvalue()


def rows_to_csv_text(rows: Iterable[Mapping[str, Any]]) -> str:
    """The CSV text of ``rows`` with the header ``COLUMNS``."""
    return _csv_text(rows, COLUMNS)


def write_robustness_table(
    rows: Iterable[Mapping[str, Any]],
    csv_path: str | os.PathLike,
    json_path: str | os.PathLike | None = None,
    extra: Mapping[str, Any] | Callable[[list[dict[str, Any]]], Mapping[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Merge ``rows`` into the CSV at ``csv_path`` and rewrite the JSON copy; returns all rows.

    Args:
        rows: new rows (``COLUMNS`` keys).
        csv_path: the CSV file; rows already there for other (attack, eps) pairs are kept.
        json_path: where to write ``{"rows": all rows, **extra}``; None for no JSON. Keys of the old
            JSON that ``extra`` does not replace are kept.
        extra: more JSON content (e.g. the gradient-masking checks), or a function of all rows that
            returns it (so it is computed on the merged table of a resumed run).
    """
    merged = merge_rows(read_robustness_csv(csv_path), rows)
    atomic_write_text(csv_path, rows_to_csv_text(merged))
    if json_path is not None:
        content = {k: v for k, v in read_robustness_json(json_path).items() if k != "rows"}
        content.update(extra(merged) if callable(extra) else dict(extra or {}))
        records = [{c: r[c] for c in COLUMNS} for r in merged]
        atomic_write_text(json_path, json.dumps({"rows": records, **content}, indent=2) + "\n")
    return merged


def read_per_image_csv(path: str | os.PathLike) -> list[dict[str, Any]]:
    """The rows of a ``robustness_per_image.csv``; an empty list when the file does not exist.

    Args:
        path: the CSV file.
    """
    return _read_csv(path, PER_IMAGE_COLUMNS)


def write_per_image_csv(rows: Iterable[Mapping[str, Any]], path: str | os.PathLike) -> list[dict[str, Any]]:
    """Merge per-image ``rows`` into the CSV at ``path`` (same case, attack and eps: the new row wins).

    Args:
        rows: new rows (``PER_IMAGE_COLUMNS`` keys; ``source`` may be missing or empty).
        path: the CSV file.
    """
    rows = [{**r, "source": r.get("source") or ""} for r in rows]
    merged = _merge(
        read_per_image_csv(path), rows, lambda r: (str(r["attack"]), eps_key(r["eps"]), str(r["case_id"]))
    )
    atomic_write_text(path, _csv_text(merged, PER_IMAGE_COLUMNS))
    return merged


def rows_over_cases(per_image: Iterable[Mapping[str, Any]], cases: Iterable[str]) -> list[dict[str, Any]]:
    """The ``robustness.csv`` rows recomputed from per-image rows over the images in ``cases`` only.

    Two evaluations run on different subsets of a test set (every 3rd image on one machine, every
    9th on another) are compared on the images both attacked. Each attack's mean is over the
    cases it attacked among ``cases`` (``n_images``), as in the evaluator's own rows.

    Args:
        per_image: rows of a ``robustness_per_image.csv``.
        cases: the case ids to keep.
    """
    keep, groups = set(cases), {}
    for r in per_image:
        if r["case_id"] in keep:
            groups.setdefault((str(r["attack"]), eps_key(r["eps"])), []).append(r)
    return [
        {
            "attack": attack,
            "eps": eps,
            "dice": sum(float(r["dice"]) for r in group) / len(group),
            "jaccard": sum(float(r["jaccard"]) for r in group) / len(group),
            "n_images": len(group),
        }
        for (attack, eps), group in sorted(groups.items())
    ]
