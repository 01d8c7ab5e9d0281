"""Robustness figures drawn from result rows: DIC/JSC-vs-intensity curves and the qualitative panel (loading is the results store's job)."""

from __future__ import annotations

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
    "draw_robustness_curves",
    "plot_adversarial_panel",
    "plot_robustness_curves",
    "robustness_curves_figure",
    "save_figure",
]
