"""Segmentation networks: NLCEN and the paper's baselines, each with or without NLCE modules."""

from __future__ import annotations

from .nlcen import NLCEN
from .pixel_normalized import PixelNormalizedNet
