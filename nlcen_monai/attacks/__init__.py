"""Adversarial attacks in the [0, 255] pixel domain on any MONAI segmentation network (2-D or 3-D).

Attack objects (what configs build and evaluators call as ``attack(model, images, label, eps)``):
the paper's :class:`TargetedIFGSM` (with its exact shared-prefix :func:`sweep`), :class:`IFGSM`,
:class:`PGD`, :class:`SegPGD`, the black-box :class:`TransferAttack`; the functions of the same
names are the algorithms.
"""

from __future__ import annotations

from .base import SegmentationAttack
from .factory import ATTACKS, get_attack
from .ifgsm import IFGSM, TargetedIFGSM, ifgsm, iterative_fgsm, targeted_ifgsm
from .pgd import PGD, pgd, projected_gradient_descent
from .segpgd import SegPGD, segpgd, segpgd_loss
from .sweep import sweep, sweep_plan
from .transfer import TransferAttack
from .utils import attack_mode, inverse_target, num_steps

__all__ = [
    "ATTACKS",
    "IFGSM",
    "PGD",
    "SegPGD",
    "SegmentationAttack",
    "TargetedIFGSM",
    "TransferAttack",
    "attack_mode",
    "get_attack",
    "ifgsm",
    "inverse_target",
    "iterative_fgsm",
    "num_steps",
    "pgd",
    "projected_gradient_descent",
    "segpgd",
    "segpgd_loss",
    "sweep",
    "sweep_plan",
    "targeted_ifgsm",
]
