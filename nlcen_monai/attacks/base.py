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
"""The one calling convention of every attack object: ``attack(model, images, label, eps)``.

An attack object is what a bundle config builds (``{"_target_": "nlcen_monai.attacks.APGD", ...}``)
and what the evaluator, the worst-case ensemble and the adversarial trainer call. It is always
given the *true* labels and builds its own target (the paper's ``S_t = 1 - y`` by default) when
it is targeted, so callers never need to know whether an attack is targeted. The adversarial
trainer also gives each batch its own seed (:meth:`SegmentationAttack.reseeded`) and, to attacks
that ``accepts_loss``, the loss its objective maximises (the ``loss`` argument). Subclasses
implement :meth:`SegmentationAttack.perturb` on class-index labels, and say what one run costs
(:meth:`SegmentationAttack.cost`, used to run the cheapest members of an ensemble first) and how
to make it twice as strong (:meth:`SegmentationAttack.strengthened`, used by the gradient-masking
check "more iterations and restarts change nothing").

Everything works in the [0, 255] pixel domain (``eps`` in grey levels) and on any number of spatial
dimensions: images are (B, C, *spatial), labels (B, 1, *spatial) or (B, *spatial).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence

import torch
import torch.nn as nn
from monai.utils import convert_to_tensor

from .budget import describe_budget, scale_budget
from .utils import LossFactory, as_index_target, inverse_target

__all__ = ["SegmentationAttack"]


class SegmentationAttack:
    """Base class of the L-inf attacks on segmentation networks in the [0, 255] pixel domain.

    Args:
        targeted: descend the loss towards ``target_fn(label)`` (True) or ascend it away from the
            true labels (False); None takes the attack's default (``default_targeted``).
        target_fn: maps true labels to target labels for targeted attacks; default
            :func:`~nlcen_monai.attacks.inverse_target` (the paper's inverted mask).
        name: the name written in result tables; default the class's ``name``.

    Subclasses set ``name`` (the default table name) and ``default_targeted``, implement
    :meth:`perturb` and :meth:`cost`, and list in ``strength_attributes`` the integer attributes
    that :meth:`strengthened` multiplies (e.g. ``("iterations", "restarts")``); such an attribute may be a
    budget that depends on the intensity (:mod:`~nlcen_monai.attacks.budget`), every count multiplied.
    """

    name: str = "attack"
    default_targeted: bool = False
    strength_attributes: tuple[str, ...] = ()
    #: True when :meth:`sweep` shares work between intensities (cheaper than one call per intensity)
    sweepable: bool = False
    #: True when :meth:`perturb` takes ``start``, a point to begin from (e.g. a smaller intensity's result)
    accepts_start: bool = False
    #: see :attr:`last_passes`
    _last_passes: torch.Tensor | None = None
    #: True when :meth:`perturb` takes ``loss``, a loss factory that replaces the attack's own
    #: (adversarial training's TRADES crafts on the KL to the clean prediction)
    accepts_loss: bool = False

    def __init__(
        self,
        targeted: bool | None = None,
        target_fn: Callable[[torch.Tensor], torch.Tensor] | None = None,
        name: str | None = None,
    ) -> None:
        self.targeted = self.default_targeted if targeted is None else bool(targeted)
        self.target_fn = inverse_target if target_fn is None else target_fn
        if name is not None:
            self.name = str(name)

    def target_for(self, label: torch.Tensor) -> torch.Tensor:
        """The labels the attack's loss uses: ``target_fn(label)`` when targeted, else ``label``."""
        return self.target_fn(label) if self.targeted else label

    def __call__(
        self,
        model: nn.Module,
        images: torch.Tensor,
        label: torch.Tensor,
        eps: float,
        start: torch.Tensor | None = None,
        loss: LossFactory | None = None,
    ) -> torch.Tensor:
        """Adversarial images for ``images`` (true labels ``label``) at intensity ``eps`` grey levels.

        Args:
            model: maps [0, 255] images (B, C, *spatial) to logits (B, num_classes, *spatial) in eval
                mode; its mode and ``requires_grad`` flags are restored afterwards.
            images: clean images in [0, 255].
            label: true labels, (B, 1, *spatial) or (B, *spatial) class indices.
            eps: the L-inf budget in grey levels (>= 0; 0 returns the clean images).
            start: images to begin from (same shape as ``images``), used by attacks that
                ``accepts_start`` and ignored by the others.
            loss: what to maximise instead of the attack's own loss, as a factory
                ``loss(y, steps) -> loss_fn(logits, step)`` (a sum over the images, so that each image's
                gradient is its own; ``y`` are the class-index labels the attack uses, descended
                towards when targeted); only attacks that ``accepts_loss`` take it.

        Returns:
            adversarial images in ``[images - eps, images + eps]`` and in [0, 255], detached, same
            dtype and device as ``images`` (N-FGSM, a training attack, documents a wider ball).

        Raises:
            ValueError: when ``eps`` is negative, when ``start`` does not have the images' shape, or
                when ``loss`` is given to an attack that does not ``accepts_loss``.
        """
        eps = float(eps)
        if eps < 0:
            raise ValueError(f"eps must be >= 0, got {eps}.")
        self._last_passes = None
        if loss is not None and not self.accepts_loss:
            raise ValueError(f"{type(self).__name__} maximises its own loss; it takes no loss argument.")
        x0 = convert_to_tensor(images, track_meta=False).detach()
        if eps == 0 or x0.shape[0] == 0:
            return x0.clone()
        y = as_index_target(self.target_for(label), x0)
        options: dict = {} if loss is None else {"loss": loss}
        if start is not None and self.accepts_start:
            start = convert_to_tensor(start, track_meta=False).detach()
            if start.shape != x0.shape:
                raise ValueError(f"start must have the images' shape {tuple(x0.shape)}, got {tuple(start.shape)}.")
            options["start"] = start
        return self.perturb(model, x0, y, eps, **options)

    @property
    def last_passes(self) -> torch.Tensor | None:
        """The passes (B,) each image cost in the last call, kept by attacks with a per-image adaptive budget
        (APGD with ``patience``); None: each image cost :meth:`cost`."""
        return self._last_passes

    def perturb(self, model: nn.Module, images: torch.Tensor, y: torch.Tensor, eps: float) -> torch.Tensor:
        """The attack itself, on clean ``images`` and class-index labels ``y`` (B, *spatial).

        ``y`` is the target when ``self.targeted``, else the truth. Implementations must restore the
        model's state (``nlcen_monai.attacks.attack_mode``) and return detached images in the eps-ball
        and in [0, 255]. Attacks that set ``accepts_start`` also take a keyword ``start``, those that set
        ``accepts_loss`` a keyword ``loss`` (see :meth:`__call__`).
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement perturb().")

    def sweep(
        self,
        model: nn.Module,
        images: torch.Tensor,
        label: torch.Tensor,
        epsilons: Sequence[float],
        max_batch: int | None = None,
    ) -> dict[float, torch.Tensor]:
        """Adversarial images at every intensity, ``{float(eps): images}``; one call per intensity here.

        Attacks with ``sweepable = True`` override it to share work between intensities.

        Args:
            model: the attacked network.
            images: clean images in [0, 255].
            label: true labels.
            epsilons: intensities in grey levels.
            max_batch: the most images in one forward/backward pass, for attacks that batch
                intensities together (ignored here).
        """
        return {float(eps): self(model, images, label, eps) for eps in epsilons}

    def cost(self, eps: float) -> float:
        """Forward(-backward) passes of the attacked model per image for one call at ``eps``.

        Used to order the members of a worst-case ensemble (cheapest first) and to count the passes
        an ensemble saves. A pass on another model (transfer) or a forward-only query counts as
        documented by each subclass.
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement cost().")

    def sweep_cost(self, epsilons: Sequence[float]) -> float:
        """Passes per image of one :meth:`sweep` over ``epsilons``: the sum of the costs unless the sweep shares work."""
        return float(sum(self.cost(float(e)) for e in epsilons if float(e) > 0))

    def strengthened(self, factor: int = 2) -> SegmentationAttack:
        """A copy of this attack with every attribute in ``strength_attributes`` multiplied by ``factor``.

        The gradient-masking check "doubling iterations and restarts lowers the worst case by at most
        0.01" (Carlini et al. 2019) runs ``attack.strengthened(2)``. Attributes that are None (e.g. the
        paper's default step count) are left as they are; attacks without ``strength_attributes``
        (the paper's fixed-budget attack) are returned unchanged.

        Args:
            factor: the multiplier (>= 1).
        """
        if factor < 1:
            raise ValueError(f"factor must be >= 1, got {factor}.")
        stronger = copy.copy(self)
        for attr in self.strength_attributes:
            value = getattr(self, attr)
            if value is not None:
                setattr(stronger, attr, scale_budget(value, factor))
        return stronger

    def reseeded(self, seed: int | None) -> SegmentationAttack:
        """A copy of this attack that draws its random numbers from ``seed`` (None: the global generator).

        Adversarial training gives every batch its own seed (from the run's seed, the iteration and the
        rank), so that a resumed run crafts what the uninterrupted run would have crafted. An attack
        without a ``seed`` attribute draws nothing at random and is returned as it is.

        Args:
            seed: the seed of the copy's random starts (or draws).
        """
        if not hasattr(self, "seed"):
            return self
        attack = copy.copy(self)
        attack.seed = seed
        return attack

    def describe(self) -> dict:
        """The attack's settings as a JSON-able dict (written beside the results)."""
        settings = {"class": type(self).__name__, "name": self.name, "targeted": self.targeted}
        for key, value in vars(self).items():
            if key.startswith("_") or key in settings or key == "target_fn":
                continue
            if key in self.strength_attributes and value is not None:
                settings[key] = describe_budget(value)
                continue
            settings[key] = value if isinstance(value, (int, float, str, bool, type(None))) else repr(value)
        return settings

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.describe().items() if k != "class")
        return f"{type(self).__name__}({args})"
