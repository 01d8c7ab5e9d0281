"""Adversarial attacks in the [0, 255] pixel domain on any MONAI segmentation network (2-D or 3-D).

Attack objects are the public form of every attack: configs build them by ``_target_``, and the
evaluator, the worst-case ensemble and the adversarial trainer call them as
``attack(model, images, label, eps)``: the paper's :class:`TargetedIFGSM` (its ``sweep`` is the exact
shared-prefix sweep, :func:`sweep`), :class:`IFGSM`, :class:`PGD`, :class:`SegPGD`, :class:`CosPGD`,
:class:`APGD` with the SEA losses (:mod:`~nlcen_monai.attacks.seg_losses`), the black-box
:class:`Square` and :class:`TransferAttack`, :class:`WorstCaseAttack` (the per-image worst case over a
list of them), and the single-step attacks of adversarial training, :class:`FGSMRS` (FGSM with random
start) and :class:`NFGSM` (N-FGSM). The algorithms behind them live in their modules.
"""

from __future__ import annotations

from .apgd import APGD, APGD_LOSSES, APGDJS, APGDMaskedCE, APGDTargetedCE, apgd_checkpoints, red_eps_stages
from .base import SegmentationAttack
from .cospgd import CosPGD
from .factory import ATTACKS, get_attack
from .fgsm_rs import FGSMRS
from .ifgsm import IFGSM, TargetedIFGSM
from .n_fgsm import NFGSM
from .pgd import PGD, pgd_budget
from .seg_losses import (
    balanced_cross_entropy,
    class_balance_weights,
    cosine_weighted_cross_entropy,
    js_divergence,
    masked_cross_entropy,
    pixel_cross_entropy,
    resisting_margin,
)
from .segpgd import SegPGD, segpgd_loss
from .square import Square
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
    "FGSMRS",
    "IFGSM",
    "NFGSM",
    "PGD",
    "SegPGD",
    "SegmentationAttack",
    "Square",
    "TargetedIFGSM",
    "TransferAttack",
    "apgd_checkpoints",
    "attack_mode",
    "balanced_cross_entropy",
    "class_balance_weights",
    "cosine_weighted_cross_entropy",
    "get_attack",
    "inverse_target",
    "js_divergence",
    "masked_cross_entropy",
    "num_steps",
    "pgd_budget",
    "pixel_cross_entropy",
    "red_eps_stages",
    "resisting_margin",
    "segpgd_loss",
    "sweep",
    "sweep_plan",
]
