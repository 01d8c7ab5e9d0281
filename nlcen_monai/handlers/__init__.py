"""Ignite handlers of nlcen-monai, all reading ``engine.state``: the results store on disk (with resume), the log, the curves, the panel, the progress line."""

from __future__ import annotations

from .adversarial_panel import AdversarialPanelWriter
from .progress_log import ProgressLog
from .robustness_curves import RobustnessCurvesWriter
from .robustness_log import log_robustness_metrics, metric_sort_key
from .robustness_table import RobustnessTableWriter
from .written_files import WrittenFilesCSV

__all__ = [
    "AdversarialPanelWriter",
    "ProgressLog",
    "RobustnessCurvesWriter",
    "RobustnessTableWriter",
    "WrittenFilesCSV",
    "log_robustness_metrics",
    "metric_sort_key",
]
