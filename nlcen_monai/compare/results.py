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
"""The comparison table: every configuration's robustness rows with the network that produced them, in one CSV."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from nlcen_monai.robustness import COLUMNS, ResultFiles, RobustnessResult, format_eps
from nlcen_monai.utils.atomic import atomic_write_text

__all__ = ["COMPARISON_COLUMNS", "comparison_rows", "write_comparison_csv"]

#: the network columns, then the robustness table's own columns (``attack, eps, dice, jaccard, n_images, passes, checks``).
COMPARISON_COLUMNS = ("config", "network", "nlce", "use_nonlocal", "use_context", *COLUMNS)


def comparison_rows(config: str, info: Mapping[str, Any], robustness_csv: str | os.PathLike) -> list[dict[str, Any]]:
    """The table rows of one configuration's results, each prefixed with the configuration and its network.

    Args:
        config: the configuration's name.
        info: its network settings (see :func:`nlcen_monai.compare.describe.describe_network`).
        robustness_csv: the table written by ``RobustnessTableWriter``; the result is loaded from it
            and the files beside it (:meth:`ResultFiles.of_table`).

    Raises:
        FileNotFoundError: when there is no result or it is empty.
    """
    rows = RobustnessResult.load(ResultFiles.of_table(robustness_csv)).rows
    if not rows:
        raise FileNotFoundError(f"configuration {config!r}: no robustness rows in '{robustness_csv}'.")
    head = {"config": config, **{k: info.get(k) for k in COMPARISON_COLUMNS[1:5]}}
    return [{**head, **row} for row in rows]


def write_comparison_csv(rows: Iterable[Mapping[str, Any]], path: str | os.PathLike) -> Path:
    """Write ``rows`` with the header ``COMPARISON_COLUMNS`` atomically (None is written as an empty cell).

    Args:
        rows: rows from :func:`comparison_rows`.
        path: the CSV file.
    """
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(COMPARISON_COLUMNS), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({**row, "eps": format_eps(row["eps"])})
    return atomic_write_text(path, buf.getvalue())
