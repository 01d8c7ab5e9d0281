"""Segmenting new images with a trained bundle: inputs screened so that a bad file never stops the others,
plausibility flags for each mask, and :class:`Segmenter`, the bundle's model from Python.

``python -m nlcen_monai.inference.quality_ranges`` measures the flags' ranges on a data set's training masks.
"""

from __future__ import annotations

from .quality import (
    MEASURES,
    QUALITY_KEY,
    SHAPE_MEASURES,
    MaskQualityd,
    MaskUncertaintyd,
    QualityRanges,
    mask_measures,
    uncertain_fraction,
)
from .screening import STATUS_OK, ImagesFailedError, ScreenedImages, failure_reason
from .segmenter import Segmentation, Segmenter

__all__ = [
    "MEASURES",
    "QUALITY_KEY",
    "SHAPE_MEASURES",
    "STATUS_OK",
    "ImagesFailedError",
    "MaskQualityd",
    "MaskUncertaintyd",
    "QualityRanges",
    "ScreenedImages",
    "Segmentation",
    "Segmenter",
    "failure_reason",
    "mask_measures",
    "uncertain_fraction",
]
