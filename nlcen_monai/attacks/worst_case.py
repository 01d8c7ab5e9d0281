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
"""The worst case per image over a list of attacks: a robustness figure is only as good as its strongest attack.

:class:`WorstCaseAttack` runs its members and keeps, per image and intensity, the adversarial image
with the lowest Dice against the true labels. It is made cheap the way AutoAttack is (Croce & Hein
2020):

- members run cheapest first (by :meth:`SegmentationAttack.cost`);
- an image already broken (its worst Dice is at or below ``broken_dice``, 0 by default: a Dice of
  0 cannot fall further) is not attacked again by the later members;
- intensities run in increasing order and each starts from the previous intensity's worst images:
  an image in the eps-ball of a smaller intensity is in every larger ball, so it is a valid
  candidate there, and an image broken at a smaller intensity is broken at every larger one; the
  members that accept a start point (``accepts_start``: APGD) begin their first restart from those
  images, so that the larger intensity continues the smaller one's work instead of starting afresh
  (measured on a defended NLCEN at eps 32: 300 iterations of APGD with the balanced masked CE left
  Dice 0.251 started from the eps-16 result, 0.275 started at random).

Members with an exact shared-prefix sweep (the paper's I-FGSM) run once over all intensities and
all images, since their sweep already shares the work. The passes each member ran and the passes
the skipping saved are counted with the members' ``cost``, in total and per image and intensity (a
shared-prefix sweep's passes go to each intensity by what adding it to the sweep costs,
:func:`sweep_passes`). Images are scored with :func:`nlcen_monai.metrics.per_image_scores`, the
function every robustness table is computed with.

Written by hand: no library has a per-image, Dice-based ensemble for segmentation (AutoAttack's is
for classification accuracy).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
import torch.nn as nn
from monai.utils import convert_to_tensor

from nlcen_monai.metrics import per_image_scores

from .base import SegmentationAttack
from .utils import attack_mode

__all__ = ["WorstCaseAttack", "WorstCaseResult", "MemberScores", "predict_classes", "sweep_passes"]


def predict_classes(model: nn.Module, images: torch.Tensor) -> torch.Tensor:
    """The argmax class map (B, 1, *spatial) of ``model`` on ``images``, in eval mode and without gradients.

    Args:
        model: maps [0, 255] images to logits.
        images: the images to segment.
    """
    with torch.no_grad(), attack_mode(model):
        logits = convert_to_tensor(model(images), track_meta=False)
    return logits.argmax(1, keepdim=True)


def sweep_passes(attack: SegmentationAttack, epsilons: Sequence[float]) -> dict[float, float]:
    """Per-image passes of one ``attack.sweep`` over ``epsilons``, each intensity's share being what adding it costs.

    The shares sum to ``attack.sweep_cost(epsilons)``; for an attack without a shared sweep each
    intensity's share is its own ``cost``.

    Args:
        attack: the attack.
        epsilons: the intensities of the sweep (those <= 0 cost nothing).
    """
    positive = sorted({float(e) for e in epsilons if float(e) > 0})
    shares, before = {}, 0.0
    for k, eps in enumerate(positive):
        total = attack.sweep_cost(positive[: k + 1])
        shares[eps], before = total - before, total
    return shares


@dataclass
class MemberScores:
    """What one member did at one intensity: the images it attacked (``index`` into the batch) and their scores.

    ``pred`` holds the predicted class maps (k, 1, *spatial) on the member's adversarial images, and
    ``passes`` (k,) the passes it spent on each image it attacked (its ``cost``, or less where an adaptive
    budget stopped early; a shared-prefix sweep's share of each intensity).
    """

    index: torch.Tensor
    dice: torch.Tensor
    jaccard: torch.Tensor
    pred: torch.Tensor
    passes: torch.Tensor


@dataclass
class WorstCaseResult:
    """The outcome of :meth:`WorstCaseAttack.run`, per intensity (keys are ``float(eps)``).

    ``images``/``pred``/``dice``/``jaccard`` are the per-image worst case over every member (and the
    candidates it started from); ``source[eps][i]`` names what gave image ``i``'s worst case (a
    member, ``"<member>@eps<e>"`` for one inherited from a smaller intensity, or ``"clean"`` /
    ``"initial"``); ``members[name][eps]`` are each member's own scores on the images it attacked.
    ``passes_run`` and ``passes_saved`` count forward(-backward) passes per the members' ``cost``;
    ``passes[eps]`` (B,) are the passes run on each image at each intensity (they sum to ``passes_run``);
    ``passes_saved`` also counts what an adaptive budget (APGD's ``patience``) did not spend of a member's ``cost``.
    """

    images: dict[float, torch.Tensor] = field(default_factory=dict)
    pred: dict[float, torch.Tensor] = field(default_factory=dict)
    dice: dict[float, torch.Tensor] = field(default_factory=dict)
    jaccard: dict[float, torch.Tensor] = field(default_factory=dict)
    source: dict[float, list[str]] = field(default_factory=dict)
    members: dict[str, dict[float, MemberScores]] = field(default_factory=dict)
    passes: dict[float, torch.Tensor] = field(default_factory=dict)
    passes_run: float = 0.0
    passes_saved: float = 0.0


class WorstCaseAttack(SegmentationAttack):
    """Per image and intensity, the member's adversarial image with the lowest Dice against the truth.

    Args:
        attacks: the members (attack objects with distinct names).
        skip_broken: do not attack images whose worst Dice is already ``<= broken_dice``.
        broken_dice: the Dice at or below which an image counts as broken (default 0: nothing is lost).
        chain_epsilons: start each intensity from the previous intensity's worst images.
        include_clean: the clean image is a candidate at every intensity (an attacker may leave an image
            alone), so the worst case is never above the clean Dice. False: the members' own images are
            the result even where they score better than the clean one, as when an attack is evaluated by
            itself (:meth:`single`).
        num_classes: classes of the network's output (for the Dice of the predictions); None reads
            it from the logits' channel dimension on first use.
        name: the table name; default ``"worst_case"``.

    Example::

        strong = WorstCaseAttack([TargetedIFGSM(), APGD(loss="ce"), APGD(loss="masked_ce")])
        result = strong.run(model, images, label, epsilons=[2, 4, 8])
        result.dice[8.0]  # per-image worst-case Dice at eps = 8
    """

    name = "worst_case"

    def __init__(
        self,
        attacks: Sequence[SegmentationAttack],
        skip_broken: bool = True,
        broken_dice: float = 0.0,
        chain_epsilons: bool = True,
        num_classes: int | None = None,
        name: str | None = None,
        include_clean: bool = True,
    ) -> None:
        super().__init__(targeted=False, name=name)
        self.attacks = list(attacks)
        if not self.attacks:
            raise ValueError("WorstCaseAttack needs at least one attack.")
        names = [a.name for a in self.attacks]
        if len(set(names)) != len(names):
            raise ValueError(f"the members of a worst-case ensemble need distinct names, got {names}.")
        if self.name in names and len(names) > 1:
            raise ValueError(f"a member may not be named like the ensemble ('{self.name}').")
        self.skip_broken = bool(skip_broken)
        self.include_clean = bool(include_clean)
        self.broken_dice = float(broken_dice)
        self.chain_epsilons = bool(chain_epsilons)
        self.num_classes = num_classes

    @classmethod
    def single(cls, attack: SegmentationAttack) -> WorstCaseAttack:
        """``attack`` alone, as a one-member ensemble that gives the attack's own figure.

        Named like the attack, each intensity attacked from the clean images (not chained) and the
        clean image not a candidate, so its images and scores are the attack's own; images broken
        before the attack are still attacked (nothing is skipped where the clean image does not count).
        The robustness evaluator runs every attack through this one path, as AutoAttack runs a single
        attack as a one-member ensemble.

        Args:
            attack: the attack; a :class:`WorstCaseAttack` is returned as it is.
        """
        if isinstance(attack, WorstCaseAttack):
            return attack
        return cls([attack], chain_epsilons=False, include_clean=False, name=attack.name)

    def ordered(self, eps: float) -> list[SegmentationAttack]:
        """The members cheapest first at intensity ``eps`` (ties keep the given order)."""
        return sorted(self.attacks, key=lambda a: a.cost(eps))

    def cost(self, eps: float) -> float:
        """The sum of the members' costs: the passes per image when nothing is skipped."""
        return float(sum(a.cost(eps) for a in self.attacks))

    def strengthened(self, factor: int = 2) -> WorstCaseAttack:
        """The same ensemble with every member strengthened by ``factor``."""
        stronger = super().strengthened(factor)
        stronger.attacks = [a.strengthened(factor) for a in self.attacks]
        return stronger

    def describe(self) -> dict:
        return {
            "class": type(self).__name__,
            "name": self.name,
            "skip_broken": self.skip_broken,
            "broken_dice": self.broken_dice,
            "chain_epsilons": self.chain_epsilons,
            "include_clean": self.include_clean,
            "members": [a.describe() for a in self.attacks],
        }

    def __call__(
        self, model: nn.Module, images: torch.Tensor, label: torch.Tensor, eps: float, start: torch.Tensor | None = None
    ) -> torch.Tensor:
        """The worst case at ``eps``; ``start`` is where its members that accept a start point begin."""
        return self.run(model, images, label, [eps], start=start).images[float(eps)]

    def sweep(
        self,
        model: nn.Module,
        images: torch.Tensor,
        label: torch.Tensor,
        epsilons: Sequence[float],
        max_batch: int | None = None,
    ) -> dict[float, torch.Tensor]:
        return self.run(model, images, label, epsilons, max_batch=max_batch).images

    def _score(self, model: nn.Module, images: torch.Tensor, label: torch.Tensor):
        with torch.no_grad(), attack_mode(model):
            logits = convert_to_tensor(model(images), track_meta=False)
        if self.num_classes is None:
            self.num_classes = int(logits.shape[1])
        pred = logits.argmax(1, keepdim=True)
        dice, jaccard = per_image_scores(pred, label, self.num_classes)
        return pred, dice, jaccard

    def run(
        self,
        model: nn.Module,
        images: torch.Tensor,
        label: torch.Tensor,
        epsilons: Sequence[float],
        initial: torch.Tensor | None = None,
        max_batch: int | None = None,
        start: torch.Tensor | None = None,
    ) -> WorstCaseResult:
        """Attack ``images`` with every member at every intensity and keep the per-image worst case.

        Args:
            model: maps [0, 255] images to logits (e.g. a network behind a MONAI inferer).
            images: clean images (B, C, *spatial) in [0, 255].
            label: true labels, (B, 1, *spatial) or (B, *spatial).
            epsilons: intensities in grey levels (run in increasing order; 0 is the clean image).
            initial: candidate adversarial images, inside the smallest intensity's ball (e.g. the worst
                case of an earlier run at that intensity): the result is never worse than them; default
                the clean images.
            max_batch: handed to the members' sweeps.
            start: where the members that accept a start point begin at the smallest intensity (e.g. the
                worst case of the intensity below it); default: as each attack starts by itself. At every
                larger intensity they begin from the worst images of the one before.
        """
        x0 = convert_to_tensor(images, track_meta=False).detach()
        label = convert_to_tensor(label, track_meta=False)
        epsilons = sorted({float(e) for e in epsilons})
        result = WorstCaseResult(members={a.name: {} for a in self.attacks})
        if x0.shape[0] == 0 or not epsilons:
            return result
        if initial is None:
            best_x, origin = x0.clone(), "clean"
        else:
            best_x, origin = convert_to_tensor(initial, track_meta=False).detach().clone(), "initial"
            if best_x.shape != x0.shape or float((best_x - x0).abs().max()) > epsilons[0] + 1e-4:
                raise ValueError(f"initial images must have shape {tuple(x0.shape)} and lie in the eps={epsilons[0]} ball.")
        best_pred, best_dice, best_jac = self._score(model, best_x, label)
        best_src = [origin] * x0.shape[0]
        positive = [e for e in epsilons if e > 0]
        # members with a shared-prefix sweep: every intensity and every image in one sweep
        swept, shares = {}, {}
        for a in self.attacks:
            if a.sweepable and positive:
                swept[a.name] = a.sweep(model, x0, label, positive, max_batch=max_batch)
                shares[a.name] = sweep_passes(a, positive)
                result.passes_run += a.sweep_cost(positive) * x0.shape[0]
        previous = None
        for eps in epsilons:
            if previous is not None:
                if self.chain_epsilons:  # the previous intensity's worst images are candidates here
                    best_src = [s if "@" in s or s in ("clean", "initial") else f"{s}@eps{previous:g}" for s in best_src]
                else:
                    best_x, best_src = x0.clone(), ["clean"] * x0.shape[0]
                    best_pred, best_dice, best_jac = self._score(model, best_x, label)
            # where the members that accept a start point begin: the worst images of the previous intensity
            # (``start`` at the first one), the same for every member so that they stay diverse
            if previous is None:
                warm = None if start is None else convert_to_tensor(start, track_meta=False).detach()
            else:
                warm = best_x.clone() if self.chain_epsilons else None
            if not self.include_clean and eps > 0:  # the clean image is no candidate: every member result replaces it
                clean = torch.tensor([s == "clean" for s in best_src], device=best_dice.device)
                best_dice = best_dice.masked_fill(clean, float("inf"))
            passes = torch.zeros(x0.shape[0], dtype=torch.float64)
            for attack in self.ordered(eps) if eps > 0 else []:
                if attack.name in swept:
                    todo, cost = torch.arange(x0.shape[0]), shares[attack.name][eps]
                else:
                    todo, cost = self._todo(best_dice), attack.cost(eps)
                    result.passes_saved += cost * (x0.shape[0] - len(todo))
                if len(todo) == 0:
                    continue
                idx = todo.to(x0.device)
                if attack.name in swept:
                    adv, spent = swept[attack.name][eps], None
                else:
                    adv = attack(model, x0[idx], label[idx], eps, start=None if warm is None else warm[idx])
                    spent = attack.last_passes  # an adaptive budget's own count
                full = torch.full((len(todo),), float(cost), dtype=torch.float64)
                spent = full if spent is None else spent
                if attack.name not in swept:  # a sweep's passes were counted once, for all intensities
                    result.passes_run += float(spent.sum())
                    result.passes_saved += float((full - spent).sum())
                passes[todo] += spent
                pred, dice, jac = self._score(model, adv, label[idx])
                result.members[attack.name][eps] = MemberScores(todo, dice.cpu(), jac.cpu(), pred, spent)
                better = dice < best_dice[idx]
                if bool(better.any()):
                    sel = idx[better]
                    best_x[sel], best_pred[sel] = adv[better], pred[better]
                    best_dice[sel], best_jac[sel] = dice[better], jac[better]
                    for i in sel.tolist():
                        best_src[i] = attack.name
            result.images[eps], result.pred[eps] = best_x.clone(), best_pred.clone()
            result.dice[eps], result.jaccard[eps] = best_dice.cpu().clone(), best_jac.cpu().clone()
            result.source[eps] = list(best_src)
            result.passes[eps] = passes
            previous = eps
        return result

    def _todo(self, best_dice: torch.Tensor) -> torch.Tensor:
        if not self.skip_broken:
            return torch.arange(best_dice.shape[0])
        return torch.nonzero(best_dice.cpu() > self.broken_dice, as_tuple=False).flatten()
