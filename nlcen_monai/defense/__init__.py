"""The defense, adversarial training (Madry et al. 2018; TRADES; FGSM with random start): objective, eps ramp, FGSM guard.

The trainer that uses them is :class:`nlcen_monai.engines.AdversarialSupervisedTrainer`; it crafts with
attack objects of :mod:`nlcen_monai.attacks` (``PGD``, ``FGSMRS``, ``NFGSM``). The bundle override is
``configs/defense/adversarial_training.json``.
"""

from __future__ import annotations

from .objective import OBJECTIVES, AdversarialObjective, final_output, split_batch, trades_kl
from .overfitting_guard import GUARD_ACTIONS, CatastrophicOverfittingGuard
from .ramp import ramped_eps

__all__ = [
    "AdversarialObjective",
    "CatastrophicOverfittingGuard",
    "GUARD_ACTIONS",
    "OBJECTIVES",
    "final_output",
    "ramped_eps",
    "split_batch",
    "trades_kl",
]
