"""The defense, adversarial training (Madry et al. 2018; TRADES; FGSM with random start): eps ramp, crafting, objective, FGSM guard.

The trainer that uses them is :class:`nlcen_monai.engines.AdversarialSupervisedTrainer`; the bundle
override is ``configs/defense/adversarial_training.json``.
"""

from __future__ import annotations

from .crafting import (
    CRAFT_LOSSES,
    CRAFT_METHODS,
    DEFAULT_NOISE_RATIO,
    SINGLE_STEP_METHODS,
    craft_adversarial,
    default_step_ratio,
    iteration_seed,
)
from .objective import OBJECTIVES, AdversarialObjective, final_output, split_batch, trades_kl
from .overfitting_guard import GUARD_ACTIONS, CatastrophicOverfittingGuard
from .ramp import ramped_eps

__all__ = [
    "AdversarialObjective",
    "CRAFT_LOSSES",
    "CRAFT_METHODS",
    "CatastrophicOverfittingGuard",
    "DEFAULT_NOISE_RATIO",
    "GUARD_ACTIONS",
    "OBJECTIVES",
    "SINGLE_STEP_METHODS",
    "craft_adversarial",
    "default_step_ratio",
    "final_output",
    "iteration_seed",
    "ramped_eps",
    "split_batch",
    "trades_kl",
]
