"""Per-image segmentation scores shared by the attacks, the evaluator and the robustness results."""

from __future__ import annotations

from .per_image import per_image_scores

__all__ = ["per_image_scores"]
