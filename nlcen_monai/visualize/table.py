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
"""The robustness table: rows ``attack, eps, dice, jaccard, n_images`` read from and written to CSV/JSON.

The CSV is the record the intensity sweep resumes from (DESIGN section 7) and the input of the
curve plots; both files are written atomically (temporary file in the same folder, then
``os.replace``) so a crash never leaves a half-written table.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

__all__ = [
    "COLUMNS",
    "eps_key",
    "read_robustness_csv",
    "done_epsilons",
    "merge_rows",
    "rows_to_csv_text",
    "atomic_write_text",
    "write_robustness_table",
]

COLUMNS = ("attack", "eps", "dice", "jaccard", "n_images")


def eps_key(eps: float) -> float:
    """An intensity rounded to 6 decimals, the identity used to match rows (0.5 == 0.50000001)."""
    return round(float(eps), 6)


def _parse_row(row: Mapping[str, Any], path: str | os.PathLike) -> dict[str, Any]:
    missing = [c for c in COLUMNS if c not in row or row[c] in (None, "")]
    if missing:
        raise ValueError(f"{path}: row {dict(row)} lacks the column(s) {missing}; expected {list(COLUMNS)}.")
    try:
        return {
            "attack": str(row["attack"]),
            "eps": eps_key(row["eps"]),
            "dice": float(row["dice"]),
            "jaccard": float(row["jaccard"]),
            "n_images": int(row["n_images"]),
        }
    except ValueError as e:
        raise ValueError(f"{path}: unreadable row {dict(row)}: {e}") from e


def read_robustness_csv(path: str | os.PathLike) -> list[dict[str, Any]]:
    """The rows of a ``robustness.csv``; an empty list when the file does not exist.

    Args:
        path: the CSV file.
    """
    if not os.path.isfile(path):
        return []
    with open(path, newline="", encoding="utf-8") as f:
        return [_parse_row(row, path) for row in csv.DictReader(f)]


def done_epsilons(path: str | os.PathLike, attack: str) -> list[float]:
    """The intensities already in the CSV at ``path`` for ``attack`` (sorted).

    Args:
        path: the CSV file (missing means nothing done).
        attack: the attack name as written in the ``attack`` column.
    """
    return sorted({row["eps"] for row in read_robustness_csv(path) if row["attack"] == attack})


def merge_rows(old: Iterable[Mapping[str, Any]], new: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Old rows updated by new ones (same attack and intensity: the new row wins), sorted by attack then eps.

    Args:
        old: rows already written.
        new: rows just computed.
    """
    merged = {(str(r["attack"]), eps_key(r["eps"])): dict(r, eps=eps_key(r["eps"])) for r in old}
    merged.update({(str(r["attack"]), eps_key(r["eps"])): dict(r, eps=eps_key(r["eps"])) for r in new})
    return [merged[k] for k in sorted(merged)]


def rows_to_csv_text(rows: Iterable[Mapping[str, Any]]) -> str:
    """The CSV text of ``rows`` with the header ``COLUMNS``."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(COLUMNS), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({**row, "eps": f"{float(row['eps']):g}"})
    return buf.getvalue()


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file in the same folder and ``os.replace``.

    Args:
        path: the destination file (its folder is created).
        text: the content.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return path


def write_robustness_table(
    rows: Iterable[Mapping[str, Any]], csv_path: str | os.PathLike, json_path: str | os.PathLike | None = None
) -> list[dict[str, Any]]:
    """Merge ``rows`` into the CSV at ``csv_path`` (and rewrite the JSON copy); returns all rows.

    Args:
        rows: new rows (``COLUMNS`` keys).
        csv_path: the CSV file; rows already there for other (attack, eps) pairs are kept.
        json_path: where to write the same rows as a JSON list; None for no JSON.
    """
    merged = merge_rows(read_robustness_csv(csv_path), rows)
    atomic_write_text(csv_path, rows_to_csv_text(merged))
    if json_path is not None:
        records = [{c: r[c] for c in COLUMNS} for r in merged]
        atomic_write_text(json_path, json.dumps(records, indent=2) + "\n")
    return merged
