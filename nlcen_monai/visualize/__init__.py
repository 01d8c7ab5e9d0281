"""Robustness figures drawn from the results tables: DIC/JSC-vs-intensity curves and the qualitative panel."""

from __future__ import annotations

from .plots import adversarial_panel_figure, plot_adversarial_panel, plot_robustness_curves, save_figure

__all__ = ["adversarial_panel_figure", "plot_adversarial_panel", "plot_robustness_curves", "save_figure"]
