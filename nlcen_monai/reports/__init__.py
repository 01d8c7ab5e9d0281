"""Generators of the markdown tables that the documentation quotes from committed result records (the model
card's corruption and quality-flags tables).

``python -m nlcen_monai.reports.corruption_table RECORD_DIR [--write FILE]`` prints the table of a corruption
evaluation's record and rewrites the block between its markers in a markdown file;
``python -m nlcen_monai.reports.quality_flags_table RECORD [--write FILE]`` does the same for the record of
``benchmarks/quality_flags.py``. :mod:`~nlcen_monai.reports.markdown_block` holds what both share.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["BEGIN_MARKER", "END_MARKER", "format_corruption_table", "record_table", "replace_block"]


# .corruption_table is imported on first use, not here, so that `python -m nlcen_monai.reports.corruption_table`
# runs a module that its package has not imported already (runpy warns of exactly that)
def __getattr__(name: str) -> Any:
    if name in __all__:
        value = getattr(importlib.import_module(".corruption_table", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
