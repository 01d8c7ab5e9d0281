"""The defense, adversarial training (Madry et al. 2018; TRADES; FGSM with random start): objective, eps ramp, FGSM guard,
ELLE's local-linearity regulariser (Abad Rocamora et al. 2024) against catastrophic overfitting.

The trainer that uses them is :class:`nlcen_monai.engines.AdversarialSupervisedTrainer`; it crafts with
attack objects of :mod:`nlcen_monai.attacks` (``PGD``, ``FGSMRS``, ``NFGSM``). The bundle override is
``configs/defense/adversarial_training.json``; ``configs/defense/local_linearity.json``, stacked after it,
trains with N-FGSM and ELLE-A.
"""

from __future__ import annotations

from .local_linearity import (
    ELLE_A_DECAY,
    ELLE_A_MAX_WEIGHT,
    ELLE_A_SENSITIVITY,
    AdaptiveLinearityWeight,
    LinearityPoints,
    draw_linearity_points,
    linearity_error,
    per_image_cross_entropy,
)
from .objective import OBJECTIVES, AdversarialObjective, final_output, split_batch, trades_kl
from .overfitting_guard import GUARD_ACTIONS, CatastrophicOverfittingGuard
from .ramp import ramped_eps

__all__ = [
    "AdaptiveLinearityWeight",
    "AdversarialObjective",
    "CatastrophicOverfittingGuard",
    "ELLE_A_DECAY",
    "ELLE_A_MAX_WEIGHT",
    "ELLE_A_SENSITIVITY",
    "GUARD_ACTIONS",
    "LinearityPoints",
    "OBJECTIVES",
    "draw_linearity_points",
    "final_output",
    "linearity_error",
    "per_image_cross_entropy",
    "ramped_eps",
    "split_batch",
    "trades_kl",
]
