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
"""Attacks chosen by name (``get_attack("targeted_ifgsm" | "ifgsm" | "pgd" | "segpgd" | "transfer")``).

An ``Attack`` is always called with the true labels and builds its own target (the paper's
``S_t = 1 - y`` for targeted attacks), so an evaluator or a bundle config can swap attacks
without knowing whether they are targeted. ``Attack.sweep`` uses the shared-prefix sweep
where it is exact (I-FGSM with the default step count) and a per-intensity loop otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
import torch.nn as nn

from .ifgsm import ifgsm, targeted_ifgsm
from .pgd import pgd
from .segpgd import segpgd
from .sweep import sweep
from .utils import inverse_target

__all__ = ["Attack", "TransferAttack", "ATTACKS", "get_attack", "transfer"]

# name -> (function, targeted by default, has an exact shared-prefix sweep)
ATTACKS: dict[str, tuple[Callable[..., torch.Tensor], bool, bool]] = {
    "targeted_ifgsm": (targeted_ifgsm, True, True),
    "ifgsm": (ifgsm, False, True),
    "pgd": (pgd, False, False),
    "segpgd": (segpgd, False, False),
}


class Attack:
    """A configured attack: ``attack(model, images, label, eps)`` and ``attack.sweep(model, images, label, epsilons)``.

    Args:
        name: the registry name of the attack (a key of ``ATTACKS``).
        target_fn: maps true labels to target labels for targeted attacks; default ``inverse_target``.
        kwargs: keyword arguments of the attack function (``alpha``, ``steps``, ``restarts``, ``seed``,
            ``targeted`` for PGD/SegPGD, ...).
    """

    def __init__(self, name: str, target_fn: Callable[[torch.Tensor], torch.Tensor] | None = None, **kwargs: Any):
        if name not in ATTACKS:
            raise ValueError(f"unknown attack '{name}', expected one of {sorted(ATTACKS) + ['transfer']}.")
        self.name = name
        self.fn, targeted, self.sweepable = ATTACKS[name]
        self.targeted = bool(kwargs.get("targeted", targeted))
        self.target_fn = inverse_target if target_fn is None else target_fn
        self.kwargs = kwargs
        # the trunk/fork sweep reproduces the default step count only
        if kwargs.get("steps") is not None:
            self.sweepable = False

    def target_for(self, label: torch.Tensor) -> torch.Tensor:
        """The labels the attack's loss uses: the target for targeted attacks, else the truth."""
        return self.target_fn(label) if self.targeted else label

    def __call__(self, model: nn.Module, images: torch.Tensor, label: torch.Tensor, eps: float) -> torch.Tensor:
        """Adversarial images for ``images`` with true labels ``label`` at intensity ``eps``."""
        return self.fn(model, images, self.target_for(label), eps, **self.kwargs)

    def sweep(
        self,
        model: nn.Module,
        images: torch.Tensor,
        label: torch.Tensor,
        epsilons: Sequence[float],
        max_batch: int | None = None,
    ) -> dict[float, torch.Tensor]:
        """Adversarial images at every intensity: ``{float(eps): images}``.

        Args:
            model: the attacked network.
            images: clean images in [0, 255].
            label: true labels.
            epsilons: intensities in grey levels.
            max_batch: the most images in one pass of the shared-prefix sweep (see ``sweep``).
        """
        if self.sweepable:
            alpha = float(self.kwargs.get("alpha", 1.0))
            return sweep(
                model, images, self.target_for(label), epsilons, alpha=alpha, max_batch=max_batch, targeted=self.targeted
            )
        return {float(eps): self(model, images, label, eps) for eps in epsilons}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, {self.kwargs})"


class TransferAttack(Attack):
    """A black-box transfer attack: images crafted with ``base`` on ``source_model``, whatever model is passed.

    The model given to ``__call__``/``sweep`` (the one under evaluation) is never queried.

    Args:
        source_model: the surrogate network the adversarial images are crafted on.
        base: the name of the white-box attack run on ``source_model``.
        target_fn: see ``Attack``.
        kwargs: keyword arguments of the base attack.
    """

    def __init__(
        self,
        source_model: nn.Module,
        base: str = "targeted_ifgsm",
        target_fn: Callable[[torch.Tensor], torch.Tensor] | None = None,
        **kwargs: Any,
    ):
        super().__init__(base, target_fn=target_fn, **kwargs)
        self.source_model = source_model
        self.name = f"transfer_{base}"

    def __call__(self, model: nn.Module, images: torch.Tensor, label: torch.Tensor, eps: float) -> torch.Tensor:
        return super().__call__(self.source_model, images, label, eps)

    def sweep(
        self,
        model: nn.Module,
        images: torch.Tensor,
        label: torch.Tensor,
        epsilons: Sequence[float],
        max_batch: int | None = None,
    ) -> dict[float, torch.Tensor]:
        return super().sweep(self.source_model, images, label, epsilons, max_batch=max_batch)


def transfer(
    model: nn.Module,
    images: torch.Tensor,
    target: torch.Tensor,
    eps: float,
    source_model: nn.Module,
    attack: str = "targeted_ifgsm",
    **kwargs: Any,
) -> torch.Tensor:
    """Transfer attack in the functional calling style: craft on ``source_model``, to be evaluated on ``model``.

    Args:
        model: the network under evaluation (not queried: black-box).
        images: clean images (B, C, H, W) in [0, 255].
        target: the labels the base attack expects (target labels for a targeted base attack).
        eps: L-inf budget in grey levels.
        source_model: the surrogate network.
        attack: the registry name of the base attack.
        kwargs: keyword arguments of the base attack.
    """
    if attack not in ATTACKS:
        raise ValueError(f"unknown attack '{attack}', expected one of {sorted(ATTACKS)}.")
    return ATTACKS[attack][0](source_model, images, target, eps, **kwargs)


def get_attack(name: str, **kwargs: Any) -> Attack:
    """The attack registered under ``name``, configured with ``kwargs``.

    Args:
        name: ``"targeted_ifgsm"`` (the paper's), ``"ifgsm"``, ``"pgd"``, ``"segpgd"`` or ``"transfer"``
            (then ``source_model`` is required and ``base`` names the white-box attack, default
            ``"targeted_ifgsm"``).
        kwargs: keyword arguments of the attack, plus ``target_fn`` for targeted attacks.
    """
    if name == "transfer":
        if kwargs.get("source_model") is None:
            raise ValueError("the 'transfer' attack needs a 'source_model' (the surrogate network to craft on).")
        return TransferAttack(**kwargs)
    return Attack(name, **kwargs)
