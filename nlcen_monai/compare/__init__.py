"""Comparison runner: train and attack several bundle configurations, then draw the paper's comparison figures.

``python -m nlcen_monai.compare --bundle bundles/nlcen_jsrt --configs configs/networks/unet.json
configs/networks/nlcen.json --out runs/compare`` (see docs/compare.md).
"""

from __future__ import annotations

from .ablation import ablation_specs, default_configs_root
from .figures import draw_comparison_figures, tile_figures
from .results import COMPARISON_COLUMNS, comparison_rows, write_comparison_csv
from .runner import ComparisonRunner
from .spec import RunSpec, check_unique, parse_assignments, parse_spec
from .describe import describe_network

__all__ = [
    "COMPARISON_COLUMNS",
    "ComparisonRunner",
    "RunSpec",
    "ablation_specs",
    "check_unique",
    "comparison_rows",
    "default_configs_root",
    "describe_network",
    "draw_comparison_figures",
    "parse_assignments",
    "parse_spec",
    "tile_figures",
    "write_comparison_csv",
]
