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
"""The paper's comparison figures drawn with :func:`nlcen_monai.visualize.plot_robustness_curves`.

- ``comparison.png``: DIC and JSC against the intensity for every configuration (paper Figures 4-5);
- ``ablation.png``: the NLCEN variants only (Figure 7: w/o NLCE, w/o NL, w/o CE, NLCEN, fine-tuned);
- ``nlce_pairs.png``: one row per baseline, its configurations with and without NLCE (Figure 8);
  each row is also kept as ``nlce_pairs/<network>.png``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure
from matplotlib.image import imread

from nlcen_monai.visualize import plot_robustness_curves, save_figure

__all__ = ["draw_comparison_figures", "tile_figures"]

logger = logging.getLogger(__name__)

Rows = Sequence[Mapping[str, Any]]


def _pair_label(name: str, info: Mapping[str, Any]) -> str:
    return f"{name} ({'with' if info.get('nlce') else 'w/o'} NLCE)"


def tile_figures(paths: Sequence[str | os.PathLike], output_path: str | os.PathLike, title: str | None = None) -> Path:
    """Stack already saved PNG figures vertically into one PNG.

    Args:
        paths: the PNG files, top to bottom.
        output_path: the combined PNG.
        title: figure title.
    """
    images = [imread(str(p)) for p in paths]
    width = 11.0
    heights = [width * img.shape[0] / img.shape[1] for img in images]
    fig = Figure(figsize=(width, sum(heights) + (0.4 if title else 0.0)))
    axes = fig.subplots(len(images), 1, squeeze=False, gridspec_kw={"height_ratios": heights})[:, 0]
    for ax, img in zip(axes, images):
        ax.imshow(img)
        ax.set_axis_off()
    if title:
        fig.suptitle(title)
    return save_figure(fig, output_path, dpi=150)


def draw_comparison_figures(
    tables: Mapping[str, Rows], infos: Mapping[str, Mapping[str, Any]], output_dir: str | os.PathLike, attack: str
) -> dict[str, Path]:
    """Draw the comparison, ablation and with/without-NLCE figures for one attack.

    A figure whose configurations are absent (no NLCEN variant, no baseline) is skipped with a log line.

    Args:
        tables: ``{configuration: robustness rows}`` (columns ``attack, eps, dice, jaccard, n_images``).
        infos: ``{configuration: network settings}`` with at least ``network`` and ``nlce``.
        output_dir: the folder of the PNG files.
        attack: the attack to draw.

    Returns:
        ``{"comparison" | "ablation" | "nlce_pairs": path}`` of the figures written.
    """
    out = Path(output_dir)
    written = {
        "comparison": plot_robustness_curves(dict(tables), out / "comparison.png", [attack], f"{attack}: all models")
    }
    ablation = {n: rows for n, rows in tables.items() if str(infos[n]["network"]).lower() == "nlcen"}
    if ablation:
        title = f"{attack}: NLCEN ablation"
        written["ablation"] = plot_robustness_curves(ablation, out / "ablation.png", [attack], title)
    else:
        logger.info("no NLCEN configuration: no ablation figure.")
    baselines: dict[str, dict[str, Rows]] = {}
    for name, rows in tables.items():
        network = str(infos[name]["network"]).lower()
        if network != "nlcen":
            baselines.setdefault(network, {})[_pair_label(name, infos[name])] = rows
    if baselines:
        rows_png = [
            plot_robustness_curves(
                pair, out / "nlce_pairs" / f"{network}.png", [attack], f"{network}: with and without NLCE"
            )
            for network, pair in sorted(baselines.items())
        ]
        written["nlce_pairs"] = tile_figures(rows_png, out / "nlce_pairs.png")
    else:
        logger.info("no baseline configuration: no with/without-NLCE figure.")
    return written
