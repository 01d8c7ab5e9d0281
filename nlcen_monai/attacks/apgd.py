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
"""APGD (Croce & Hein 2020, Algorithm 1) for segmentation, with the SEA losses (Croce et al. 2023).

The L-inf Auto-PGD in the [0, 255] pixel domain, per image, written from the paper:

- step size ``eta = 2 eps`` at first; ``z = P(x_k + eta sign(grad f(x_k)))`` and
  ``x_{k+1} = P(x_k + 0.75 (z - x_k) + 0.25 (x_k - x_{k-1}))`` (no momentum at the first step),
  ``P`` the projection on the eps-ball and [0, 255];
- checkpoints ``w_j = ceil(p_j N)`` with ``p_0 = 0``, ``p_1 = 0.22``,
  ``p_{j+1} = p_j + max(p_j - p_{j-1} - 0.03, 0.06)`` (:func:`apgd_checkpoints`); at each one the
  step size of an image is halved and its iterate restarts from its highest-loss point so far when
  (1) its loss rose in fewer than ``rho = 0.75`` of the steps since the last checkpoint, or (2) neither
  its step size nor its highest loss changed since the last checkpoint (the paper's strict ``<`` in
  (1), and (2) checked at the first checkpoint too, where AutoAttack's code skips it);
- ``f`` is one of the per-image losses of :mod:`~nlcen_monai.attacks.seg_losses`, ascended
  (untargeted, towards wrong pixels) or descended (targeted, towards the target labels):
  ``"ce"`` the pixel-wise cross-entropy, ``"masked_ce"`` the CE of the pixels not yet won (SEA),
  ``"js"`` the Jensen-Shannon divergence between the softmax and the one-hot labels (SEA);
  ``loss="ce", targeted=True`` is the targeted CE towards the target labels (the inverted mask).

As in SEA, the point returned is not the highest-loss one but, per image, the most successful of all
iterates of all restarts: the lowest Dice against the truth (untargeted) or the highest Dice against
the target (targeted). Restart ``r`` starts from a uniform random point of the ball drawn from
``seed + r`` (the clean image with ``random_start=False``).

``red_eps=True`` is SEA's schedule for large budgets (Croce et al. 2023, "Robust semantic
segmentation", their ``apgd_largereps``): the iterations are split 3:3:4 over three APGD runs at the
radii ``2 eps``, ``1.5 eps`` and ``eps``, each run starting from the most successful point of the
previous one projected onto its smaller ball. The wider balls let the first runs reach regions that a
run confined to the eps-ball from the start does not find; only points of the final eps-ball are
returned. The class-balanced losses ``"balanced_ce"`` and ``"balanced_masked_ce"`` are SEA's Bal-CE
and its masked variant (:func:`~nlcen_monai.attacks.seg_losses.balanced_cross_entropy`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import torch
import torch.nn as nn
from monai.utils import convert_to_tensor

from .base import SegmentationAttack
from .budget import as_budget, budget_at
from .seg_losses import balanced_cross_entropy, js_divergence, masked_cross_entropy, pixel_cross_entropy
from .utils import (
    MostSuccessful,
    as_index_target,
    attack_mode,
    eps_bounds,
    objective_and_gradient,
    project,
    uniform_start,
)

__all__ = [
    "apgd",
    "apgd_checkpoints",
    "red_eps_stages",
    "APGD_LOSSES",
    "RED_EPS_RADII",
    "RED_EPS_SPLIT",
    "APGD",
    "APGDMaskedCE",
    "APGDTargetedCE",
    "APGDJS",
]

#: loss name -> ``loss(logits, y, targeted)``, one value per image (see :mod:`~nlcen_monai.attacks.seg_losses`)
APGD_LOSSES: dict[str, Callable[[torch.Tensor, torch.Tensor, bool], torch.Tensor]] = {
    "ce": lambda logits, y, targeted: pixel_cross_entropy(logits, y),
    "masked_ce": masked_cross_entropy,
    "js": lambda logits, y, targeted: js_divergence(logits, y),
    "balanced_ce": lambda logits, y, targeted: balanced_cross_entropy(logits, y),
    "balanced_masked_ce": lambda logits, y, targeted: balanced_cross_entropy(logits, y, targeted, masked=True),
}

#: weight of the new step against the previous one (the paper's alpha)
MOMENTUM = 0.75
#: the radii of the red-eps schedule, as multiples of eps, and the shares of the iterations of all runs but the last
RED_EPS_RADII = (2.0, 1.5, 1.0)
RED_EPS_SPLIT = (0.3, 0.3)


def red_eps_stages(iterations: int) -> list[tuple[float, int]]:
    """The runs of the red-eps schedule: ``(radius as a multiple of eps, iterations)``, runs without iterations left out.

    ``N = 100`` gives ``[(2.0, 30), (1.5, 30), (1.0, 40)]``; the final run at ``eps`` is always kept.

    Args:
        iterations: the iterations ``N`` of the whole schedule.
    """
    counts = [int(share * iterations) for share in RED_EPS_SPLIT]
    counts.append(iterations - sum(counts))
    stages = list(zip(RED_EPS_RADII, counts))
    return [(r, n) for r, n in stages[:-1] if n > 0] + [stages[-1]]


def apgd_checkpoints(iterations: int) -> list[int]:
    """The iterations ``w_j = ceil(p_j N)`` at which APGD may halve its step size, those in ``(0, N)``.

    ``p_0 = 0``, ``p_1 = 0.22``, ``p_{j+1} = p_j + max(p_j - p_{j-1} - 0.03, 0.06)``: 22, 41, 57, 70, 80,
    87, 93, 99 for ``N = 100``. A checkpoint at ``N`` itself would only move the last iterate, so it is
    left out.

    Args:
        iterations: the number of iterations ``N``.
    """
    p = [0.0, 0.22]
    while p[-1] < 1:
        p.append(round(p[-1] + max(p[-1] - p[-2] - 0.03, 0.06), 10))
    # the rounding keeps float noise (0.22 * 100 = 22.000000000000004) from adding one iteration
    checkpoints = {math.ceil(round(pj * iterations, 6)) for pj in p}
    return sorted(w for w in checkpoints if 0 < w < iterations)


def _apgd_run(
    model: nn.Module,
    x0: torch.Tensor,
    x_start: torch.Tensor,
    eps: float,
    objective: Callable[[torch.Tensor, torch.Tensor | None], torch.Tensor],
    iterations: int,
    rho: float,
    best: MostSuccessful,
    patience: int | None = None,
    passes: torch.Tensor | None = None,
    min_improvement: float = 0.0,
) -> None:
    """One APGD run from ``x_start``, maximising ``objective``; every iterate is offered to ``best``.

    ``objective(logits, index)`` scores the images ``index`` of the batch (None: all of them). With
    ``patience``, an image stops when ``best`` has not improved on it by more than ``min_improvement``
    (in Dice) over the last ``patience`` checkpoints, or as soon as nothing better is possible
    (:meth:`MostSuccessful.reached`); the run goes on with the others only, so a stopped image costs no
    more passes. ``passes`` (B,) counts the passes each image received.
    """
    bounds = eps_bounds(x0, eps)
    checkpoints = set(apgd_checkpoints(iterations))
    view = (-1,) + (1,) * (x0.dim() - 1)
    alive = None  # the images still running (None: all, in order); only set when ``patience`` stops one

    def step(x: torch.Tensor, backward: bool):
        out = objective_and_gradient(model, x, lambda logits: objective(logits, alive), backward=backward)
        best.update(x, out[0], index=alive)
        if passes is not None:
            passes[slice(None) if alive is None else alive.cpu()] += 1
        return out

    x = x_start
    logits, f, grad = step(x, iterations > 0)
    x_prev, f_prev = x, f
    x_max, f_max, g_max = x, f, grad
    eta = torch.full_like(f, 2.0 * eps)
    increases = torch.zeros_like(f)
    last_checkpoint, eta_at_last, f_max_at_last = 0, eta.clone(), f_max.clone()
    stalled_checkpoints = torch.zeros_like(f)
    reference = best.score.clone()  # per image, its best score at its last checkpoint of progress
    for k in range(1, iterations + 1):
        if patience is not None:
            # what iteration k - 1 left: broken images stop; at a checkpoint, so do the stalled ones
            done = best.reached() if alive is None else best.reached()[alive]
            if k - 1 in checkpoints:
                score = best.score if alive is None else best.score[alive]
                progress = score > reference + min_improvement
                stalled_checkpoints = torch.where(progress, 0.0, stalled_checkpoints + 1)
                reference = torch.where(progress, score, reference)
                done = done | (stalled_checkpoints >= patience)
            if bool(done.any()):
                keep = ~done
                if not bool(keep.any()):
                    return
                alive = (torch.arange(x0.shape[0], device=x0.device) if alive is None else alive)[keep]
                x, x_prev, x_max, bounds = x[keep], x_prev[keep], x_max[keep], (bounds[0][keep], bounds[1][keep])
                f, f_prev, f_max, eta, increases = f[keep], f_prev[keep], f_max[keep], eta[keep], increases[keep]
                grad, g_max = grad[keep], g_max[keep]
                eta_at_last, f_max_at_last = eta_at_last[keep], f_max_at_last[keep]
                stalled_checkpoints, reference = stalled_checkpoints[keep], reference[keep]
        a = 1.0 if k == 1 else MOMENTUM
        z = project(x + eta.view(view) * torch.sign(grad), bounds)
        x, x_prev = project(x + a * (z - x) + (1 - a) * (x - x_prev), bounds), x
        logits, f, grad = step(x, k < iterations)

        increases += (f > f_prev).to(f.dtype)
        f_prev = f
        improved = f > f_max
        x_max = torch.where(improved.view(view), x, x_max)
        if grad is not None:
            g_max = torch.where(improved.view(view), grad, g_max)
        f_max = torch.where(improved, f, f_max)

        if k in checkpoints:
            too_few_increases = increases < rho * (k - last_checkpoint)
            stalled = (eta == eta_at_last) & (f_max == f_max_at_last)
            halve = too_few_increases | stalled
            eta_at_last, f_max_at_last = eta.clone(), f_max.clone()
            eta = torch.where(halve, eta / 2, eta)
            x = torch.where(halve.view(view), x_max, x)
            grad = torch.where(halve.view(view), g_max, grad)
            f_prev = torch.where(halve, f_max, f_prev)
            increases.zero_()
            last_checkpoint = k


def apgd(
    model: nn.Module,
    images: torch.Tensor,
    target: torch.Tensor,
    eps: float,
    loss: str = "ce",
    iterations: int = 100,
    restarts: int = 1,
    random_start: bool = True,
    targeted: bool = False,
    rho: float = 0.75,
    seed: int | None = None,
    red_eps: bool = False,
    start: torch.Tensor | None = None,
    patience: int | None = None,
    passes: torch.Tensor | None = None,
    min_improvement: float = 0.0,
) -> torch.Tensor:
    """APGD on a segmentation loss; per image the most successful iterate of all restarts is returned.

    Args:
        model: maps [0, 255] images to logits; run in eval mode, its state restored afterwards.
        images: clean images (B, C, *spatial) in [0, 255].
        target: (B, *spatial) or (B, 1, *spatial) labels: the truth (untargeted) or the target (targeted).
        eps: L-inf budget in grey levels.
        loss: a key of ``APGD_LOSSES``: ``"ce"``, ``"masked_ce"``, ``"js"``, ``"balanced_ce"`` or
            ``"balanced_masked_ce"``.
        iterations: iterations per restart ``N`` (Croce & Hein: 100), over all runs of the red-eps schedule.
        restarts: runs, each from its own random start.
        random_start: start from a uniform random point of the eps-ball (else from the clean images).
        targeted: descend the loss towards ``target`` instead of ascending it away from the truth.
        rho: the fraction of loss increases below which a checkpoint halves the step size.
        seed: seed of the random starts (restart ``r`` uses ``seed + r``); None uses the global RNG.
        red_eps: SEA's schedule of radii ``2 eps -> 1.5 eps -> eps`` (:func:`red_eps_stages`); the random
            start is drawn in the first, widest ball.
        start: where the first restart starts (projected onto the ball), e.g. the most successful images
            of a smaller intensity; the other restarts start at random. None: every restart as
            ``random_start`` says.
        patience: the per-image adaptive budget. None: every image runs every iteration. An integer
            ``k >= 1``: in each run (each restart, each radius of the red-eps schedule) an image stops
            when its most successful point of that run has not improved by more than
            ``min_improvement`` over ``k`` consecutive checkpoints, or as soon as it is broken (Dice 0
            to the truth; Dice 1 to the target when targeted); the other images go on.
        passes: a (B,) float tensor on the CPU to which the passes each image received are added.
        min_improvement: the Dice gain below which a checkpoint counts as no progress (0: any gain
            is progress; a few pixels of a 128 x 128 lung mask move the Dice by about 0.001).
    """
    if loss not in APGD_LOSSES:
        raise ValueError(f"unknown APGD loss '{loss}', expected one of {sorted(APGD_LOSSES)}.")
    if restarts < 1:
        raise ValueError(f"restarts must be >= 1, got {restarts}.")
    if iterations < 0:
        raise ValueError(f"iterations must be >= 0, got {iterations}.")
    if patience is not None and int(patience) < 1:
        raise ValueError(f"patience must be None or >= 1, got {patience}.")
    x0 = convert_to_tensor(images, track_meta=False).detach()
    y = as_index_target(target, x0)
    loss_fn, sign = APGD_LOSSES[loss], -1.0 if targeted else 1.0

    def objective(logits: torch.Tensor, index: torch.Tensor | None) -> torch.Tensor:
        return sign * loss_fn(logits, y if index is None else y[index], targeted)

    stages = red_eps_stages(int(iterations)) if red_eps else [(1.0, int(iterations))]
    best = MostSuccessful(y, targeted)
    with attack_mode(model):
        for r in range(int(restarts)):
            radius = stages[0][0] * eps
            if r == 0 and start is not None:
                point = convert_to_tensor(start, track_meta=False).detach()
            else:
                point = uniform_start(x0, radius, seed, r) if random_start and eps > 0 else x0.clone()
            for j, (multiple, n) in enumerate(stages):
                radius = multiple * eps
                final = j == len(stages) - 1
                run_best = best if final else MostSuccessful(y, targeted)
                _apgd_run(model, x0, project(point, eps_bounds(x0, radius)), radius, objective, n, rho, run_best,
                          patience=patience, passes=passes, min_improvement=min_improvement)
                point = run_best.images
    return best.images


class APGD(SegmentationAttack):
    """APGD (:func:`apgd`) as an attack object: ``APGD(loss="masked_ce", iterations=100)(model, images, label, eps)``.

    Defaults: Croce & Hein's 100 iterations and 1 restart (from a random start); ``strengthened(2)``
    doubles both.

    Args:
        loss: a key of ``APGD_LOSSES`` (``"ce"``, ``"masked_ce"``, ``"js"``, ``"balanced_ce"``,
            ``"balanced_masked_ce"``); default the class's ``default_loss``.
        iterations: iterations per restart (over all runs of the red-eps schedule): one count, or a count
            per intensity (``{8: 100, 32: 450}``; see :mod:`~nlcen_monai.attacks.budget`), so that an
            ensemble spends its passes where the worst case is still falling.
        restarts: runs from independent random starts; per image the most successful point is kept. One
            count, or a count per intensity (``{16: 1, 32: 3}``), for an intensity where one long run can settle
            in a local optimum that another start avoids.
        random_start: start from a uniform random point of the eps-ball.
        rho: see :func:`apgd`.
        seed: seed of the random starts; None uses the global RNG.
        targeted: descend towards ``target_fn(label)`` instead of ascending away from the truth.
        target_fn: see :class:`~nlcen_monai.attacks.SegmentationAttack`.
        name: the table name; default ``"apgd_<loss>"``, ``"apgd_targeted_<loss>"`` when targeted, with
            ``"_red"`` appended under the red-eps schedule.
        red_eps: SEA's schedule of radii ``2 eps -> 1.5 eps -> eps`` (see :func:`apgd`).
        patience: the per-image adaptive budget (see :func:`apgd`): None runs every image for every
            iteration; ``k`` stops an image after ``k`` checkpoints without progress, or once it is
            broken. :attr:`last_passes` then holds what each image of the last call cost, and
            :meth:`cost` is the most it can cost. :meth:`strengthened` drops the patience, so that the
            gradient-masking check with more iterations measures what the early stop gave up.
        min_improvement: with ``patience``, the Dice gain a checkpoint must bring to count as progress.
    """

    name = "apgd"
    default_loss = "ce"
    strength_attributes = ("iterations", "restarts")
    accepts_start = True

    def __init__(
        self,
        loss: str | None = None,
        iterations: int | Mapping[float | str, int] = 100,
        restarts: int | Mapping[float | str, int] = 1,
        random_start: bool = True,
        rho: float = 0.75,
        seed: int | None = None,
        targeted: bool | None = None,
        target_fn: Callable[[torch.Tensor], torch.Tensor] | None = None,
        name: str | None = None,
        red_eps: bool = False,
        patience: int | None = None,
        min_improvement: float = 0.0,
    ) -> None:
        super().__init__(targeted=targeted, target_fn=target_fn, name=name)
        if patience is not None and int(patience) < 1:
            raise ValueError(f"patience must be None or >= 1, got {patience}.")
        self.loss = self.default_loss if loss is None else str(loss)
        if self.loss not in APGD_LOSSES:
            raise ValueError(f"unknown APGD loss '{self.loss}', expected one of {sorted(APGD_LOSSES)}.")
        self.red_eps = bool(red_eps)
        if name is None:
            self.name = f"apgd_{'targeted_' if self.targeted else ''}{self.loss}{'_red' if self.red_eps else ''}"
        self.iterations = as_budget(iterations, "iterations")
        self.restarts = as_budget(restarts, "restarts", minimum=1)
        self.random_start = bool(random_start)
        self.rho = float(rho)
        self.seed = seed
        self.patience = None if patience is None else int(patience)
        if min_improvement < 0:
            raise ValueError(f"min_improvement must be >= 0, got {min_improvement}.")
        self.min_improvement = float(min_improvement)

    def perturb(
        self, model: nn.Module, images: torch.Tensor, y: torch.Tensor, eps: float, start: torch.Tensor | None = None
    ) -> torch.Tensor:
        passes = None if self.patience is None else torch.zeros(images.shape[0], dtype=torch.float64)
        adversarial = apgd(
            model,
            images,
            y,
            eps,
            loss=self.loss,
            iterations=self.iterations_at(eps),
            restarts=self.restarts_at(eps),
            random_start=self.random_start,
            targeted=self.targeted,
            rho=self.rho,
            seed=self.seed,
            red_eps=self.red_eps,
            start=start,
            patience=self.patience,
            passes=passes,
            min_improvement=self.min_improvement,
        )
        self._last_passes = passes
        return adversarial

    def strengthened(self, factor: int = 2) -> APGD:
        """``factor`` times the iterations and restarts, every image running all of them (no patience)."""
        stronger = super().strengthened(factor)
        stronger.patience = None
        return stronger

    def cost(self, eps: float) -> float:
        """``restarts x (iterations + runs)`` passes per image: per restart ``iterations`` forward-backward
        passes and, per run of the schedule (1, or up to 3 under red-eps), one forward-only pass at its
        last iterate (counted as a whole pass); with ``patience``, the most an image can cost."""
        iterations = self.iterations_at(eps)
        runs = len(red_eps_stages(iterations)) if self.red_eps else 1
        return float(self.restarts_at(eps) * (iterations + runs))

    def iterations_at(self, eps: float) -> int:
        """The iterations per restart at intensity ``eps`` (see :func:`~nlcen_monai.attacks.budget.budget_at`)."""
        return budget_at(self.iterations, eps)

    def restarts_at(self, eps: float) -> int:
        """The restarts at intensity ``eps`` (see :func:`~nlcen_monai.attacks.budget.budget_at`)."""
        return budget_at(self.restarts, eps)


class APGDMaskedCE(APGD):
    """APGD on the masked cross-entropy of the pixels still classified correctly (SEA); see :class:`APGD`."""

    default_loss = "masked_ce"


class APGDTargetedCE(APGD):
    """APGD descending the cross-entropy to the target labels (the inverted mask by default); see :class:`APGD`."""

    default_targeted = True


class APGDJS(APGD):
    """APGD on the Jensen-Shannon divergence between the softmax and the one-hot labels (SEA); see :class:`APGD`."""

    default_loss = "js"
