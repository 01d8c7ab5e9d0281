"""Per-image segmentation scores shared by the attacks, the evaluator and the robustness results, and bootstrap intervals of their means."""

from __future__ import annotations

from .intervals import mean_interval, paired_difference_interval
from .per_image import per_image_scores

__all__ = ["mean_interval", "paired_difference_interval", "per_image_scores"]
