"""Robustness figures drawn from result rows: DIC/JSC-vs-intensity curves, the qualitative panel, the corruption curves (loading is the results store's job)."""

from __future__ import annotations

from .corruption_curves import corruption_curves_figure, plot_corruption_curves
from .plots import (
    adversarial_panel_figure,
    draw_robustness_curves,
    plot_adversarial_panel,
    plot_robustness_curves,
    robustness_curves_figure,
    save_figure,
)

__all__ = [
    "adversarial_panel_figure",
    "corruption_curves_figure",
    "draw_robustness_curves",
    "plot_adversarial_panel",
    "plot_corruption_curves",
    "plot_robustness_curves",
    "robustness_curves_figure",
    "save_figure",
]
