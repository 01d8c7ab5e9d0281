"""Alias of :mod:`nlcen_monai.utils.atomic`, kept for one release: the atomic writer moved to ``nlcen_monai.utils``."""

from __future__ import annotations

import warnings

from nlcen_monai.utils.atomic import __all__, atomic_write, atomic_write_json, atomic_write_png, atomic_write_text  # noqa: F401

warnings.warn(
    "nlcen_monai.data.atomic moved to nlcen_monai.utils.atomic; the old module is an alias kept for one release.",
    FutureWarning,
    stacklevel=2,
)
