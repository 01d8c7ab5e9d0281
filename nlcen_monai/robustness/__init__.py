"""Robustness results outside the engines: the typed results store (rows with their roles), its files, the metric keys,
the gradient-masking checks, the recorded worst-case images, the image corruptions and their record, and the
fingerprint of the model a record belongs to."""

from __future__ import annotations

from .checks import (
    CHECK_BLACK_BOX,
    CHECK_MONOTONE,
    CHECK_MORE_ITERATIONS,
    CHECK_NAMES,
    CHECK_UNBOUNDED,
    PER_INTENSITY_CHECKS,
    STATUS_PASSED,
    GradientMaskingChecks,
    IntensityVerdict,
    intensity_verdicts,
    is_upper_bound,
    verdict,
)
from .corruption_record import (
    CLEAN,
    RECORD_COLUMNS,
    complete_units,
    read_corruption_record,
    summarise_corruptions,
    write_corruption_record,
    write_corruption_summary,
)
from .corruption_transforms import JPEGCompression, RandPoissonNoise
from .corruptions import CORRUPTIONS, Corrupt, Corruption, corruption_names, corruption_values, image_seed
from .examples import AdversarialExamples
from .keys import KINDS, MetricKey, eps_key, format_eps
from .fingerprint import MODEL_KEY, check_same_model, model_fingerprint, models_differ
from .roles import RowRole, infer_role
from .results import (
    COLUMNS,
    PER_IMAGE_COLUMNS,
    merge_per_image,
    merge_rows,
    read_per_image_csv,
    read_robustness_csv,
    read_robustness_json,
    rows_to_csv_text,
    table_rows,
    write_per_image_csv,
    write_robustness_table,
)
from .stale import recorded_settings, same_description, stale_rows
from .store import PASS_COUNTERS, ResultFiles, RobustnessResult
from .worst_images import WorstCaseImages


__all__ = [
    "CHECK_MONOTONE",
    "RowRole",
    "infer_role",
    "WorstCaseImages",
    "AdversarialExamples",
    "CHECK_BLACK_BOX",
    "CHECK_MORE_ITERATIONS",
    "CHECK_NAMES",
    "CHECK_UNBOUNDED",
    "CLEAN",
    "COLUMNS",
    "CORRUPTIONS",
    "Corrupt",
    "Corruption",
    "GradientMaskingChecks",
    "IntensityVerdict",
    "JPEGCompression",
    "KINDS",
    "MODEL_KEY",
    "MetricKey",
    "PASS_COUNTERS",
    "PER_IMAGE_COLUMNS",
    "PER_INTENSITY_CHECKS",
    "RECORD_COLUMNS",
    "RandPoissonNoise",
    "ResultFiles",
    "RobustnessResult",
    "STATUS_PASSED",
    "check_same_model",
    "complete_units",
    "corruption_names",
    "corruption_values",
    "eps_key",
    "format_eps",
    "image_seed",
    "intensity_verdicts",
    "is_upper_bound",
    "merge_per_image",
    "merge_rows",
    "model_fingerprint",
    "models_differ",
    "read_corruption_record",
    "read_per_image_csv",
    "read_robustness_csv",
    "read_robustness_json",
    "recorded_settings",
    "rows_to_csv_text",
    "same_description",
    "stale_rows",
    "summarise_corruptions",
    "table_rows",
    "verdict",
    "write_corruption_record",
    "write_corruption_summary",
    "write_per_image_csv",
    "write_robustness_table",
]
