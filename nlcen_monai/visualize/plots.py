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
"""Robustness figures: DIC/JSC-vs-intensity curves (paper Figures 4, 5, 7, 8) and a qualitative panel (Figure 6).

Uses matplotlib's object-oriented API with the Agg canvas (no pyplot, no global backend
change), so it runs headless; figures are saved with the package's atomic writer
(:func:`nlcen_monai.utils.atomic.atomic_write`: temporary file + ``os.replace``, mode 0644 under umask 022).
The ``draw_*`` functions draw on the axes or figure they are given, the ``*_figure`` functions make
the figure, and the ``plot_*`` functions save it. They take rows, never files: loading results is the
results store's job (:class:`nlcen_monai.robustness.RobustnessResult`), so a comparison runner draws
several models (and attacks) on one figure from the rows it loaded.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from nlcen_monai.robustness.checks import is_upper_bound
from nlcen_monai.utils.atomic import atomic_write

__all__ = [
    "save_figure",
    "draw_robustness_curves",
    "robustness_curves_figure",
    "plot_robustness_curves",
    "adversarial_panel_figure",
    "plot_adversarial_panel",
]

Rows = Sequence[Mapping[str, Any]]


def save_figure(fig: Figure, path: str | os.PathLike, dpi: int = 120) -> Path:
    """Save ``fig`` as PNG at ``path`` atomically, readable like any file ``open()`` writes.

    Args:
        fig: a matplotlib figure.
        path: the destination file (its folder is created).
        dpi: resolution.
    """
    FigureCanvasAgg(fig)
    return atomic_write(path, lambda f: fig.savefig(f, dpi=dpi, format="png", bbox_inches="tight"))


def _upper_bound(row: Mapping[str, Any]) -> bool:
    """Whether a table row's point is drawn hollow: its ``upper_bound`` (every row of a record has one; a
    check's row, None, is no figure), or, for a row made by hand without it, its ``checks`` status."""
    if "upper_bound" in row:
        return bool(row["upper_bound"])
    return is_upper_bound(row.get("checks"), row["eps"])


def draw_robustness_curves(
    axes: Sequence[Any],
    tables: Mapping[str, Rows],
    attacks: Sequence[str] | None = None,
    emphasize: Sequence[str] = ("worst_case",),
) -> int:
    """Draw DIC on ``axes[0]`` and JSC on ``axes[1]`` against the intensity, one line per (model, attack).

    A point whose row's ``checks`` status is not ``passed`` (an adversarial figure whose intensity
    failed or skipped the gradient-masking checks) is drawn hollow: an upper bound.

    Args:
        axes: two matplotlib axes.
        tables: ``{model label: table rows}`` (``attack, eps, dice, jaccard`` and, if known, ``checks``).
        attacks: only these attacks (default: all found).
        emphasize: attacks drawn with a thick line when there is one model (the worst case over an ensemble).

    Returns:
        the number of lines drawn.
    """
    n_lines = 0
    for label, rows in tables.items():
        names = sorted({r["attack"] for r in rows if attacks is None or r["attack"] in attacks})
        for attack in names:
            pts = sorted(
                (float(r["eps"]), float(r["dice"]), float(r["jaccard"]), _upper_bound(r))
                for r in rows
                if r["attack"] == attack
            )
            eps, dice, jac, bound = zip(*pts)
            name = label if len(names) == 1 and len(tables) > 1 else f"{label} ({attack})" if label else attack
            style = {"linewidth": 3.0, "color": "black"} if attack in emphasize and len(tables) == 1 else {}
            for ax, values in zip(axes, (dice, jac)):
                (line,) = ax.plot(eps, values, marker="o", markersize=3, label=name, **style)
                hollow = [(e, v) for e, v, b in zip(eps, values, bound) if b]
                if hollow:
                    ax.plot(*zip(*hollow), linestyle="none", marker="o", markersize=4, markerfacecolor="white",
                            markeredgecolor=line.get_color())
            n_lines += 1
    for ax, metric in zip(axes, ("DIC", "JSC")):
        ax.set_xlabel("adversarial intensity ε (grey levels)")
        ax.set_ylabel(metric)
        ax.grid(True, alpha=0.3)
        if n_lines:
            ax.legend(fontsize=8)
    return n_lines


def robustness_curves_figure(
    tables: Mapping[str, Rows],
    attacks: Sequence[str] | None = None,
    title: str | None = None,
    note: str | None = None,
    emphasize: Sequence[str] = ("worst_case",),
    fig: Figure | None = None,
) -> Figure:
    """The two-panel figure of :func:`draw_robustness_curves`, with a title and a note under the panels.

    Args:
        tables: ``{model label: table rows}``.
        attacks: only these attacks (default: all found).
        title: figure title.
        note: a line printed under the panels (e.g. the gradient-masking verdict per intensity).
        emphasize: attacks drawn with a thick line.
        fig: the figure to draw on (default: a new 11 x 4.2 in one).

    Raises:
        ValueError: when there is no row to draw.
    """
    fig = fig if fig is not None else Figure(figsize=(11, 4.2))
    if draw_robustness_curves(fig.subplots(1, 2), tables, attacks, emphasize) == 0:
        raise ValueError(f"no rows to plot in {list(tables)} for attacks {attacks}.")
    if title:
        fig.suptitle(title)
    hollow = any(_upper_bound(r) for rows in tables.values() for r in rows)
    lines = [note] if note else []
    if hollow:
        lines.append("hollow points: upper bounds (gradient-masking checks failed or not run at that intensity)")
    if lines:
        fig.text(0.5, -0.02, "\n".join(lines), ha="center", va="top", fontsize=9)
    return fig


def plot_robustness_curves(
    tables: Mapping[str, Rows],
    output_path: str | os.PathLike,
    attacks: Sequence[str] | None = None,
    title: str | None = None,
    note: str | None = None,
    emphasize: Sequence[str] = ("worst_case",),
) -> Path:
    """Save :func:`robustness_curves_figure` as a PNG.

    Args:
        tables: ``{model label: table rows}`` (load files with :class:`nlcen_monai.robustness.RobustnessResult`).
        output_path: the PNG file.
        attacks: only these attacks (default: all found).
        title: figure title.
        note: a line printed under the panels (e.g. the gradient-masking verdict per intensity).
        emphasize: attacks drawn with a thick line (the worst case over an ensemble).
    """
    if not isinstance(tables, Mapping):
        raise TypeError("plot_robustness_curves takes {label: rows}; load robustness.csv files with RobustnessResult.load.")
    return save_figure(robustness_curves_figure(tables, attacks, title, note, emphasize), output_path)


def _np(x: Any) -> np.ndarray:
    return x.detach().float().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x, dtype=np.float32)


def _show_image(ax: Any, img: np.ndarray) -> None:
    """Show a (C, H, W) [0, 255] image: grey for 1 channel, RGB for 3."""
    if img.shape[0] == 3:
        ax.imshow(np.clip(img.transpose(1, 2, 0) / 255.0, 0, 1))
    else:
        ax.imshow(img[0], cmap="gray", vmin=0, vmax=255)


def _mask(x: np.ndarray) -> np.ndarray:
    return x[0] if x.ndim == 3 else x


def plot_adversarial_panel(
    images: Any,
    adversarial: Any,
    clean_pred: Any,
    adv_pred: Any,
    label: Any,
    output_path: str | os.PathLike,
    eps: float,
    title: str | None = None,
    reverse_indexing: bool = True,
) -> Path:
    """One row per image: image, perturbation, adversarial image, clean and attacked predictions, ground truth.

    Args:
        images: clean images (N, C, S1, S2) in [0, 255].
        adversarial: adversarial images (N, C, S1, S2).
        clean_pred: class indices (N, S1, S2) or (N, 1, S1, S2) predicted on the clean images.
        adv_pred: class indices predicted on the adversarial images.
        label: ground-truth class indices.
        output_path: the PNG file.
        eps: the intensity (for the titles and the perturbation's colour range).
        title: figure title.
        reverse_indexing: the arrays are in the (x, y) order of MONAI's readers (``PILReader``,
            ``ITKReader`` and ``JSRTImageReader`` with ``reverse_indexing=True``, NIfTI), so the two
            spatial axes are swapped back for display and a radiograph is shown upright. ``False``
            for arrays already in (row, column) order.
    """
    return save_figure(
        adversarial_panel_figure(images, adversarial, clean_pred, adv_pred, label, eps, title, reverse_indexing),
        output_path,
    )


def adversarial_panel_figure(
    images: Any,
    adversarial: Any,
    clean_pred: Any,
    adv_pred: Any,
    label: Any,
    eps: float,
    title: str | None = None,
    reverse_indexing: bool = True,
    fig: Figure | None = None,
) -> Figure:
    """The figure :func:`plot_adversarial_panel` saves (same arguments, less ``output_path``), one row of six axes per image.

    Args:
        fig: the figure to draw on (default: a new one sized for the images); the other arguments as
            for :func:`plot_adversarial_panel`.
    """
    arrays = [_np(a) for a in (images, adversarial, clean_pred, adv_pred, label)]
    if reverse_indexing:  # MONAI's (..., x, y) -> (..., rows, columns), as imshow expects
        arrays = [np.swapaxes(a, -1, -2) for a in arrays]
    images, adversarial, clean_pred, adv_pred, label = arrays
    n = images.shape[0]
    cols = ("image", f"perturbation (±{eps:g})", f"adversarial ε={eps:g}", "prediction (clean)", "prediction (attacked)", "ground truth")
    fig = fig if fig is not None else Figure(figsize=(2.2 * len(cols), 2.3 * n + 0.4))
    axes = np.asarray(fig.subplots(n, len(cols), squeeze=False))
    vmax = max(float(eps), 1e-6)
    for i in range(n):
        delta = (adversarial[i] - images[i]).mean(axis=0)
        _show_image(axes[i, 0], images[i])
        axes[i, 1].imshow(delta, cmap="seismic", vmin=-vmax, vmax=vmax)
        _show_image(axes[i, 2], adversarial[i])
        for j, m in zip((3, 4, 5), (clean_pred[i], adv_pred[i], label[i])):
            axes[i, j].imshow(_mask(m), cmap="gray", vmin=0, vmax=max(1.0, float(np.max(m))))
    for j, name in enumerate(cols):
        axes[0, j].set_title(name, fontsize=8)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    if title:
        fig.suptitle(title)
    return fig
