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
"""Robustness results outside the engines: the CSV/JSON table and the paper-style figures drawn from it."""

from __future__ import annotations

from .plots import adversarial_panel_figure, plot_adversarial_panel, plot_robustness_curves, save_figure
from .table import (
    COLUMNS,
    atomic_write_text,
    done_epsilons,
    eps_key,
    merge_rows,
    read_robustness_csv,
    rows_to_csv_text,
    write_robustness_table,
)

__all__ = [
    "COLUMNS",
    "adversarial_panel_figure",
    "atomic_write_text",
    "done_epsilons",
    "eps_key",
    "merge_rows",
    "plot_adversarial_panel",
    "plot_robustness_curves",
    "read_robustness_csv",
    "rows_to_csv_text",
    "save_figure",
    "write_robustness_table",
]
