"""Robustness results outside the engines: the tables on disk (schema, resume, atomic writes) and the gradient-masking checks."""

from __future__ import annotations

from .checks import (
    CHECK_BLACK_BOX,
    CHECK_MORE_ITERATIONS,
    CHECK_NAMES,
    CHECK_UNBOUNDED,
    GradientMaskingChecks,
    verdict,
)
from .results import (
    COLUMNS,
    PER_IMAGE_COLUMNS,
    done_epsilons,
    eps_key,
    merge_rows,
    metric_name,
    read_per_image_csv,
    read_robustness_csv,
    read_robustness_json,
    rows_over_cases,
    rows_to_csv_text,
    write_per_image_csv,
    write_robustness_table,
)

__all__ = [
    "CHECK_BLACK_BOX",
    "CHECK_MORE_ITERATIONS",
    "CHECK_NAMES",
    "CHECK_UNBOUNDED",
    "COLUMNS",
    "GradientMaskingChecks",
    "PER_IMAGE_COLUMNS",
    "done_epsilons",
    "eps_key",
    "merge_rows",
    "metric_name",
    "read_per_image_csv",
    "read_robustness_csv",
    "read_robustness_json",
    "rows_over_cases",
    "rows_to_csv_text",
    "verdict",
    "write_per_image_csv",
    "write_robustness_table",
]
