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
The curve function takes one or many ``robustness.csv`` files, so a comparison runner can draw
several models (and attacks) on one figure.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Union

import numpy as np
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from nlcen_monai.utils.atomic import atomic_write
from nlcen_monai.robustness.results import read_robustness_csv

__all__ = ["save_figure", "plot_robustness_curves", "plot_adversarial_panel", "adversarial_panel_figure"]

Source = Union[str, os.PathLike, Sequence[Mapping[str, Any]]]


def save_figure(fig: Figure, path: str | os.PathLike, dpi: int = 120) -> Path:
    """Save ``fig`` as PNG at ``path`` atomically, readable like any file ``open()`` writes.

    Args:
        fig: a matplotlib figure.
        path: the destination file (its folder is created).
        dpi: resolution.
    """
    FigureCanvasAgg(fig)
    return atomic_write(path, lambda f: fig.savefig(f, dpi=dpi, format="png", bbox_inches="tight"))


def _load(source: Source) -> list[Mapping[str, Any]]:
    if isinstance(source, (str, os.PathLike)):
        if not os.path.isfile(source):
            raise FileNotFoundError(f"robustness table not found: {source}")
        return read_robustness_csv(source)
    return list(source)


def plot_robustness_curves(
    sources: Mapping[str, Source] | Sequence[str | os.PathLike],
    output_path: str | os.PathLike,
    attacks: Sequence[str] | None = None,
    title: str | None = None,
    note: str | None = None,
    emphasize: Sequence[str] = ("worst_case",),
) -> Path:
    """Two panels, DIC and JSC against the intensity, one line per (model, attack).

    Args:
        sources: ``{model label: CSV path or rows}``, or a list of CSV paths (each labelled by its
            folder's name, e.g. ``eval/nlcen/robustness.csv`` -> ``nlcen``).
        output_path: the PNG file.
        attacks: only these attacks (default: all found).
        title: figure title.
        note: a line printed under the panels (e.g. the gradient-masking verdict).
        emphasize: attacks drawn with a thick line (the worst case over an ensemble).
    """
    if not isinstance(sources, Mapping):
        sources = {Path(p).parent.name or Path(p).stem: p for p in sources}
    tables = {label: _load(src) for label, src in sources.items()}
    fig = Figure(figsize=(11, 4.2))
    axes = fig.subplots(1, 2)
    n_lines = 0
    for label, rows in tables.items():
        names = sorted({r["attack"] for r in rows if attacks is None or r["attack"] in attacks})
        for attack in names:
            pts = sorted((float(r["eps"]), float(r["dice"]), float(r["jaccard"])) for r in rows if r["attack"] == attack)
            eps, dice, jac = zip(*pts)
            name = label if len(names) == 1 and len(tables) > 1 else f"{label} ({attack})" if label else attack
            style = {"linewidth": 3.0, "color": "black"} if attack in emphasize and len(tables) == 1 else {}
            axes[0].plot(eps, dice, marker="o", markersize=3, label=name, **style)
            axes[1].plot(eps, jac, marker="o", markersize=3, label=name, **style)
            n_lines += 1
    if n_lines == 0:
        raise ValueError(f"no rows to plot in {list(sources)} for attacks {attacks}.")
    for ax, metric in zip(axes, ("DIC", "JSC")):
        ax.set_xlabel("adversarial intensity ε (grey levels)")
        ax.set_ylabel(metric)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    if note:
        fig.text(0.5, -0.02, note, ha="center", va="top", fontsize=9)
    return save_figure(fig, output_path)


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
) -> Figure:
    """The figure :func:`plot_adversarial_panel` saves (same arguments, less ``output_path``)."""
    arrays = [_np(a) for a in (images, adversarial, clean_pred, adv_pred, label)]
    if reverse_indexing:  # MONAI's (..., x, y) -> (..., rows, columns), as imshow expects
        arrays = [np.swapaxes(a, -1, -2) for a in arrays]
    images, adversarial, clean_pred, adv_pred, label = arrays
    n = images.shape[0]
    cols = ("image", f"perturbation (±{eps:g})", f"adversarial ε={eps:g}", "prediction (clean)", "prediction (attacked)", "ground truth")
    fig = Figure(figsize=(2.2 * len(cols), 2.3 * n + 0.4))
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
