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
from .workflow import describe_network, run_bundle_workflow

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
    "run_bundle_workflow",
    "tile_figures",
    "write_comparison_csv",
]
