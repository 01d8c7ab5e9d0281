"""Adversarial attacks in the [0, 255] pixel domain on any MONAI segmentation network (2-D or 3-D).

Attack objects (what configs build and evaluators call as ``attack(model, images, label, eps)``):
the paper's :class:`TargetedIFGSM` (with its exact shared-prefix :func:`sweep`), :class:`IFGSM`,
:class:`PGD`, :class:`SegPGD`, :class:`CosPGD`, :class:`APGD` with the SEA losses
(:mod:`~nlcen_monai.attacks.seg_losses`), the black-box :class:`Square` and :class:`TransferAttack`, and :class:`WorstCaseAttack`, the per-image
worst case over a list of them;
the functions of the same names are the algorithms.
"""

from __future__ import annotations

from .apgd import APGD, APGD_LOSSES, APGDJS, APGDMaskedCE, APGDTargetedCE, apgd, apgd_checkpoints, red_eps_stages
from .base import SegmentationAttack
from .cospgd import CosPGD, cospgd
from .factory import ATTACKS, get_attack
from .ifgsm import IFGSM, TargetedIFGSM, ifgsm, iterative_fgsm, targeted_ifgsm
from .pgd import PGD, pgd, pgd_budget, projected_gradient_descent
from .seg_losses import (
    balanced_cross_entropy,
    class_balance_weights,
    cosine_weighted_cross_entropy,
    js_divergence,
    masked_cross_entropy,
    pixel_cross_entropy,
    resisting_margin,
)
from .segpgd import SegPGD, segpgd, segpgd_loss
from .square import Square, square
from .sweep import sweep, sweep_plan
from .transfer import TransferAttack
from .utils import attack_mode, inverse_target, num_steps
from .worst_case import WorstCaseAttack, WorstCaseResult

__all__ = [
    "WorstCaseAttack",
    "WorstCaseResult",
    "APGD",
    "APGDJS",
    "APGDMaskedCE",
    "APGDTargetedCE",
    "APGD_LOSSES",
    "ATTACKS",
    "CosPGD",
    "IFGSM",
    "PGD",
    "SegPGD",
    "SegmentationAttack",
    "Square",
    "TargetedIFGSM",
    "TransferAttack",
    "apgd",
    "apgd_checkpoints",
    "attack_mode",
    "balanced_cross_entropy",
    "class_balance_weights",
    "cosine_weighted_cross_entropy",
    "cospgd",
    "get_attack",
    "ifgsm",
    "inverse_target",
    "iterative_fgsm",
    "js_divergence",
    "masked_cross_entropy",
    "num_steps",
    "pgd",
    "pgd_budget",
    "pixel_cross_entropy",
    "projected_gradient_descent",
    "red_eps_stages",
    "resisting_margin",
    "segpgd",
    "segpgd_loss",
    "square",
    "sweep",
    "sweep_plan",
    "targeted_ifgsm",
]
