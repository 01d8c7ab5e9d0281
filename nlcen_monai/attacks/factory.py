# Copyright (c) nlcen-monai contributors
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#     http://www.apache.org/licenses/LICENSE-2.0
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.
"""Attack objects by name: ``get_attack("pgd", steps=50)`` is ``PGD(steps=50)``.

APGD has one name per loss of the strong evaluation (``"apgd_ce"``, ``"apgd_masked_ce"``,
``"apgd_targeted_ce"``, ``"apgd_js"``) so that a list of names on the command line covers them;
``"apgd"`` takes the loss as an argument (``get_attack("apgd", loss="js", targeted=True)``).

Bundle configs build attacks with ``_target_`` (``{"_target_": "nlcen_monai.attacks.PGD", ...}``);
the names are a short form for the command line (``--attack pgd``) and for the comparison runner.
N-FGSM (:class:`~nlcen_monai.attacks.NFGSM`), a training attack whose images leave the eps-ball, has
no name here: it does not measure robustness at ``eps``.
"""

from __future__ import annotations

from typing import Any

from .apgd import APGD, APGDJS, APGDMaskedCE, APGDTargetedCE
from .base import SegmentationAttack
from .cospgd import CosPGD
from .fgsm_rs import FGSMRS
from .ifgsm import IFGSM, TargetedIFGSM
from .pgd import PGD
from .segpgd import SegPGD
from .square import Square
from .transfer import TransferAttack

__all__ = ["ATTACKS", "get_attack"]

#: name -> attack class
ATTACKS: dict[str, type[SegmentationAttack]] = {
    "targeted_ifgsm": TargetedIFGSM,
    "ifgsm": IFGSM,
    "pgd": PGD,
    "fgsm_rs": FGSMRS,
    "segpgd": SegPGD,
    "cospgd": CosPGD,
    "apgd": APGD,
    "apgd_ce": APGD,
    "apgd_masked_ce": APGDMaskedCE,
    "apgd_targeted_ce": APGDTargetedCE,
    "apgd_js": APGDJS,
    "square": Square,
    "transfer": TransferAttack,
}


def get_attack(name: str | SegmentationAttack, **kwargs: Any) -> SegmentationAttack:
    """The attack registered under ``name``, built with ``kwargs``; an attack object is returned as it is.

    Args:
        name: a key of ``ATTACKS`` (``"transfer"`` needs ``source_model`` and ``attack``, an attack
            object), or an attack object.
        kwargs: the constructor arguments of the attack's class.
    """
    if isinstance(name, SegmentationAttack):
        if kwargs:
            raise ValueError(f"keyword arguments {sorted(kwargs)} given with an attack object {name!r}.")
        return name
    if name not in ATTACKS:
        raise ValueError(f"unknown attack '{name}', expected one of {sorted(ATTACKS)}.")
    return ATTACKS[name](**kwargs)
