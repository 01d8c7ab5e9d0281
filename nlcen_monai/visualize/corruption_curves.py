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
"""The corruption figure: mean score against severity, one line per corruption, with its bootstrap interval as a band.

It draws the summary of a corruption evaluation
(:func:`~nlcen_monai.robustness.summarise_corruptions`); severity 0 of every line is the clean images'
mean. Headless (matplotlib's Agg canvas) and saved atomically, as the other figures of this package.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from nlcen_monai.robustness.corruption_record import CLEAN
from nlcen_monai.visualize.plots import save_figure

__all__ = ["corruption_curves_figure", "plot_corruption_curves"]


def corruption_curves_figure(summary: Mapping[str, Any], title: str | None = None) -> Figure:
    """Mean score against severity per corruption, the bootstrap interval shaded.

    Args:
        summary: a summary of ``summarise_corruptions`` (``metric``, ``confidence``, ``rows``).
        title: the figure's title.

    Raises:
        ValueError: when the summary has no corrupted unit to draw.
    """
    rows = summary["rows"]
    clean = next((r for r in rows if r["corruption"] == CLEAN), None)
    names = list(dict.fromkeys(r["corruption"] for r in rows if r["corruption"] != CLEAN))
    if not names:
        raise ValueError("the summary has no corrupted unit to draw.")
    fig = Figure(figsize=(7, 4.5))
    ax = fig.subplots()
    for name in names:
        points = sorted((r["severity"], r["mean"], r["lo"], r["hi"]) for r in rows if r["corruption"] == name)
        if clean is not None:
            points.insert(0, (0, clean["mean"], clean["lo"], clean["hi"]))
        severity, mean, lo, hi = zip(*points)
        (line,) = ax.plot(severity, mean, marker="o", markersize=3, label=name)
        ax.fill_between(severity, lo, hi, color=line.get_color(), alpha=0.15, linewidth=0)
    metric = {"dice": "DIC", "jaccard": "JSC"}.get(summary.get("metric", "dice"), summary.get("metric"))
    n = clean["n"] if clean is not None else rows[0]["n"]
    ax.set_xlabel("severity (0 = clean)")
    ax.set_ylabel(f"mean {metric} (n = {n}), {round(100 * summary.get('confidence', 0.95))} % interval")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return fig


def plot_corruption_curves(summary: Mapping[str, Any], output_path: str | os.PathLike, title: str | None = None) -> Path:
    """Save :func:`corruption_curves_figure` as a PNG.

    Args:
        summary: a summary of ``summarise_corruptions``.
        output_path: the PNG file.
        title: the figure's title.
    """
    return save_figure(corruption_curves_figure(summary, title), output_path)
