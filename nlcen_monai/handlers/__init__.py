"""Ignite handlers of nlcen-monai: per-attack metrics, the robustness tables (with resume), the log, the curves and the panel."""

from __future__ import annotations

from .adversarial_panel import AdversarialPanelWriter
from .attack_metrics import AttackMeanDice, AttackMeanIoU, AttackOutput
from .robustness_curves import RobustnessCurvesWriter
from .robustness_log import log_robustness_metrics, metric_sort_key
from .robustness_table import RobustnessTableWriter, robustness_rows
from .written_files import WrittenFilesCSV

__all__ = [
    "AdversarialPanelWriter",
    "AttackMeanDice",
    "AttackMeanIoU",
    "AttackOutput",
    "RobustnessCurvesWriter",
    "RobustnessTableWriter",
    "WrittenFilesCSV",
    "log_robustness_metrics",
    "metric_sort_key",
    "robustness_rows",
]
