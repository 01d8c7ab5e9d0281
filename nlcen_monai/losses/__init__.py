"""Losses that MONAI does not provide: the NLCEN deep-supervision loss (paper Eq. 5) and the baselines' own."""

from __future__ import annotations

from .nlcen_loss import LabelCrossEntropyLoss, NLCENLoss
from .nll_epe import NLLEPELoss, sobel_gradients
from .stacked_deep_supervision import StackedDeepSupervisionLoss

__all__ = ["LabelCrossEntropyLoss", "NLCENLoss", "NLLEPELoss", "StackedDeepSupervisionLoss", "sobel_gradients"]
