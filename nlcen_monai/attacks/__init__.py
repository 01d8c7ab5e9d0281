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
"""Adversarial attacks in the [0, 255] pixel domain: the paper's targeted I-FGSM, its sweep, and stronger ones."""

from __future__ import annotations

from .factory import ATTACKS, Attack, TransferAttack, get_attack, transfer
from .ifgsm import ifgsm, iterative_fgsm, targeted_ifgsm
from .pgd import pgd, projected_gradient_descent
from .segpgd import segpgd, segpgd_loss
from .sweep import sweep, sweep_plan
from .utils import attack_mode, inverse_target, num_steps

__all__ = [
    "ATTACKS",
    "Attack",
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
    "transfer",
]
