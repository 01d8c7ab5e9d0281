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
"""Shared pieces of the pixel-domain attacks: step counts, targets, the model's state, one signed step.

Every attack in this package works on images in the [0, 255] grey-level domain: ``eps`` and
``alpha`` are grey levels and normalisation happens inside the model
(:class:`~nlcen_monai.networks.nets.PixelNormalizedNet`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from monai.utils import convert_to_tensor

from nlcen_monai.metrics import per_image_scores

__all__ = [
    "PIXEL_MIN",
    "PIXEL_MAX",
    "num_steps",
    "inverse_target",
    "as_index_target",
    "attack_mode",
    "input_gradient",
    "signed_step",
    "eps_bounds",
    "project",
    "cross_entropy_sum",
    "per_image_dice",
    "logits_of",
    "objective_and_gradient",
    "generator",
    "iteration_seed",
    "uniform_start",
    "LossFactory",
    "MostSuccessful",
]

PIXEL_MIN = 0.0
PIXEL_MAX = 255.0

#: what an attack maximises, as a factory: ``loss_factory(y, steps)`` returns ``loss_fn(logits, step)``,
#: a sum over the images (``y``: class-index labels; ``steps``: the iterations the attack will take)
LossFactory = Callable[[torch.Tensor, int], Callable[[torch.Tensor, int], torch.Tensor]]


def num_steps(eps: float, alpha: float = 1.0) -> int:
    """Number of iterations of the (targeted) I-FGSM at intensity ``eps`` with step ``alpha``.

    Kurakin et al. (2016), as used by the paper: ``min(eps + 4, 1.25 eps)`` for ``alpha = 1``,
    rounded up (torchattacks floors it and runs 0 steps at ``eps = 0.5``).
    For a general step the intensity is counted in steps, ``r = eps / alpha``, and the count is
    ``ceil(min(r + 4, 1.25 r)) = min(ceil(r) + 4, ceil(1.25 r))``: 1 step at ``eps = 0.5``,
    36 at ``eps = 32`` and 0 at ``eps = 0``.

    Args:
        eps: the L-inf budget in grey levels (>= 0).
        alpha: the step size in grey levels (> 0).
    """
    if eps < 0:
        raise ValueError(f"eps must be >= 0, got {eps}.")
    if alpha <= 0:
        raise ValueError(f"alpha must be > 0, got {alpha}.")
    r = eps / alpha
    # the 1e-9 guards against 1.25 * r landing a rounding error above an integer
    return int(min(math.ceil(r - 1e-9) + 4, math.ceil(1.25 * r - 1e-9)))


def inverse_target(label: torch.Tensor) -> torch.Tensor:
    """The paper's target ``S_t`` for binary masks: the inverse of the ground truth, ``1 - y``.

    Args:
        label: a 0/1 mask of any shape, e.g. (B, 1, H, W) or (B, H, W).
    """
    label = convert_to_tensor(label, track_meta=False)
    if label.numel() and not torch.all((label == 0) | (label == 1)):
        raise ValueError("inverse_target expects a binary (0/1) mask; use a custom target for multi-class labels.")
    return 1 - label


def as_index_target(target: torch.Tensor, images: torch.Tensor) -> torch.Tensor:
    """Class-index labels (B, *spatial) as ``torch.long`` from (B, *spatial) or (B, 1, *spatial) labels.

    Args:
        target: the labels, class indices stored in any dtype.
        images: the (B, C, *spatial) images the labels belong to (for the shape check).
    """
    target = convert_to_tensor(target, track_meta=False)
    if target.dim() == images.dim():
        if target.shape[1] != 1:
            raise ValueError(f"target must be (B, *spatial) or (B, 1, *spatial) class indices, got shape {tuple(target.shape)}.")
        target = target[:, 0]
    if target.shape[0] != images.shape[0] or target.shape[1:] != images.shape[2:]:
        raise ValueError(f"target shape {tuple(target.shape)} does not match images {tuple(images.shape)}.")
    return target.round().long().to(images.device)


@contextmanager
def attack_mode(model: nn.Module) -> Iterator[nn.Module]:
    """Put ``model`` in eval mode with frozen parameters, restoring the caller's state on exit.

    Each module's ``training`` flag and each parameter's ``requires_grad`` flag are saved and
    restored individually (also when the attack raises), so a partly frozen model or one with
    some modules in train mode comes back exactly as it was. Parameters' ``.grad`` are never
    touched because the attacks differentiate with ``torch.autograd.grad`` w.r.t. the input only.

    Args:
        model: the network under attack.
    """
    modes = [(m, m.training) for m in model.modules()]
    flags = [(p, p.requires_grad) for p in model.parameters()]
    try:
        model.eval()
        for p, _ in flags:
            p.requires_grad_(False)
        yield model
    finally:
        for m, training in modes:
            m.training = training
        for p, flag in flags:
            p.requires_grad_(flag)


def logits_of(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """``model(x)`` as a plain logits tensor (B, num_classes, *spatial), with a clear error for other outputs.

    Args:
        model: the network under attack.
        x: the images it is run on.
    """
    logits = model(x)
    if not isinstance(logits, torch.Tensor):
        raise TypeError(
            f"the model must return a logits tensor in eval mode, got {type(logits).__name__} "
            "(for deep-supervision networks return only the final output in eval mode)."
        )
    return convert_to_tensor(logits, track_meta=False)


def input_gradient(
    model: nn.Module, x: torch.Tensor, loss_fn: Callable[[torch.Tensor, int], torch.Tensor], step: int = 0
) -> torch.Tensor:
    """The gradient of ``loss_fn(model(x), step)`` with respect to the images ``x`` only.

    Args:
        model: maps (B, C, *spatial) images to (B, num_classes, *spatial) logits.
        x: the current adversarial images.
        loss_fn: maps the logits and the step index (0-based) to a scalar loss.
        step: the index of the current step, handed to ``loss_fn`` (SegPGD's schedule needs it).
    """
    x = x.detach().requires_grad_(True)
    with torch.enable_grad():
        loss = loss_fn(logits_of(model, x), step)
    (grad,) = torch.autograd.grad(loss, x)
    return grad


def objective_and_gradient(
    model: nn.Module, x: torch.Tensor, objective: Callable[[torch.Tensor], torch.Tensor], backward: bool = True
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """One pass at ``x``: the logits, the per-image ``objective(logits)`` (B,) and its gradient w.r.t. ``x``.

    The gradient of the summed objective is taken, so each image's gradient is its own objective's.

    Args:
        model: maps (B, C, *spatial) images to (B, num_classes, *spatial) logits.
        x: the current adversarial images.
        objective: maps the logits to one value per image.
        backward: False makes a forward-only pass (no graph, gradient None), e.g. at the last iterate.
    """
    if not backward:
        with torch.no_grad():
            logits = logits_of(model, x)
            return logits, objective(logits), None
    x = x.detach().requires_grad_(True)
    with torch.enable_grad():
        logits = logits_of(model, x)
        values = objective(logits)
    (grad,) = torch.autograd.grad(values.sum(), x)
    return logits.detach(), values.detach(), grad


def eps_bounds(x0: torch.Tensor, eps: float | torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The L-inf ball ``[x0 - eps, x0 + eps]`` as two tensors (``eps`` a number or broadcastable tensor).

    Both the per-intensity attacks and the shared-prefix sweep build their bounds here, so the
    two paths compute bit-identical bounds.

    Args:
        x0: the clean images.
        eps: the budget in grey levels.
    """
    return x0 - eps, x0 + eps


def signed_step(
    x: torch.Tensor,
    grad: torch.Tensor,
    alpha: float,
    descend: bool,
    bounds: tuple[torch.Tensor, torch.Tensor] | None,
) -> torch.Tensor:
    """One (I-)FGSM update: ``x -/+ alpha * sign(grad)``, clipped to ``bounds`` and to [0, 255].

    The eps-clip and the [0, 255] clip are both boxes that contain ``x0``, so the order in which
    they are applied does not change the result (clamping to one box then the other equals
    clamping to their intersection); the sweep relies on this.

    Args:
        x: the current adversarial images.
        grad: the loss gradient with respect to ``x``.
        alpha: the step size in grey levels.
        descend: True for targeted attacks (minimise the loss to the target), False to ascend.
        bounds: ``eps_bounds(x0, eps)``, or None for no eps-clip (the sweep's trunk).
    """
    step = alpha * torch.sign(grad)
    x = x - step if descend else x + step
    return project(x, bounds)


def project(x: torch.Tensor, bounds: tuple[torch.Tensor, torch.Tensor] | None) -> torch.Tensor:
    """``x`` clipped to the eps-ball ``bounds`` (``eps_bounds(x0, eps)``, skipped when None), then to [0, 255].

    Args:
        x: the images to project.
        bounds: the ball's lower and upper bounds, or None for the [0, 255] clip only.

    Returns:
        the projected images, detached.
    """
    if bounds is not None:
        x = torch.clamp(x, min=bounds[0], max=bounds[1])
    return torch.clamp(x, PIXEL_MIN, PIXEL_MAX).detach()


def cross_entropy_sum(target: torch.Tensor) -> Callable[[torch.Tensor, int], torch.Tensor]:
    """A loss function ``CE(logits, target)`` summed over pixels and images.

    A sum (not a batch mean) makes each image's gradient independent of the other images in
    the batch up to a positive factor of one, so batched and per-image runs take the same signs.

    Args:
        target: (B, *spatial) class indices.
    """

    def _loss(logits: torch.Tensor, step: int) -> torch.Tensor:
        return F.cross_entropy(logits, target, reduction="sum")

    return _loss


def per_image_dice(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per-image Dice of the argmax prediction against ``target``, foreground classes averaged.

    Used to pick each image's most successful point (:class:`MostSuccessful`): the Dice of
    :func:`nlcen_monai.metrics.per_image_scores`, the one function every robustness number comes from.

    Args:
        logits: (B, num_classes, *spatial).
        target: (B, *spatial) class indices.
    """
    return per_image_scores(logits.argmax(1, keepdim=True), target, logits.shape[1])[0]


def generator(seed: int | None) -> torch.Generator | None:
    """A CPU ``torch.Generator`` seeded with ``seed`` (None: no generator, i.e. the global RNG).

    Attacks draw their random numbers on the CPU from it and move them to the images' device, so
    the same seed gives the same attack on any device.

    Args:
        seed: the seed, or None.
    """
    return None if seed is None else torch.Generator().manual_seed(int(seed))


def iteration_seed(seed: int | None, *keys: int) -> int | None:
    """A 32-bit seed derived from ``seed`` and ``keys`` (e.g. iteration and rank); None stays None.

    NumPy's ``SeedSequence`` hashes the tuple, so neighbouring iterations get unrelated seeds.
    Adversarial training seeds each batch's attack with it (:meth:`~nlcen_monai.attacks.SegmentationAttack.reseeded`).

    Args:
        seed: the run's seed (the bundle's ``seed``), or None for the global random generator.
        keys: non-negative integers that identify the draw.

    Returns:
        the derived seed, or None when ``seed`` is None.
    """
    if seed is None:
        return None
    return int(np.random.SeedSequence([int(seed), *(int(k) for k in keys)]).generate_state(1)[0])


def uniform_start(x0: torch.Tensor, eps: float, seed: int | None = None, restart: int = 0) -> torch.Tensor:
    """A uniform random point of the eps-ball, ``x0 + U(-eps, eps)``, clipped to [0, 255].

    Args:
        x0: the clean images.
        eps: the budget in grey levels.
        seed: restart ``r`` draws from ``generator(seed + r)``; None uses the global RNG on ``x0``'s device.
        restart: the index of the restart.
    """
    gen = generator(None if seed is None else int(seed) + restart)
    if gen is None:
        noise = torch.rand(x0.shape, dtype=x0.dtype, device=x0.device)
    else:
        noise = torch.rand(x0.shape, dtype=x0.dtype, generator=gen).to(x0.device)
    return torch.clamp(x0 + (2 * noise - 1) * eps, PIXEL_MIN, PIXEL_MAX)


class MostSuccessful:
    """Per image, the most successful adversarial images seen so far, scored by :func:`per_image_dice`.

    Most successful means the lowest Dice against the truth (untargeted) or the highest Dice against
    the target (targeted). Attacks call :meth:`update` with every point whose logits they compute
    anyway (PGD's restarts, APGD's iterates, Square's queries), so keeping the best point costs no pass.
    On a tie the earlier point is kept.

    Args:
        y: (B, *spatial) class indices: the target when ``targeted``, else the truth.
        targeted: whether a higher Dice to ``y`` is more successful.
    """

    def __init__(self, y: torch.Tensor, targeted: bool) -> None:
        self.y = y
        self.targeted = bool(targeted)
        self.images: torch.Tensor | None = None
        #: higher is more successful: the Dice to the target, or minus the Dice to the truth
        self.score: torch.Tensor | None = None

    def update(self, x: torch.Tensor, logits: torch.Tensor, index: torch.Tensor | None = None) -> None:
        """Keep each image of ``x`` (with model output ``logits``) that beats the best one so far.

        Args:
            x: the candidate images.
            logits: the model's output on ``x``.
            index: which images of the batch ``x`` holds (an attack that stopped some images passes the
                others' positions); None: all of them, in order. The first update must cover the batch.
        """
        with torch.no_grad():
            dice = per_image_dice(logits.detach(), self.y if index is None else self.y[index])
        score = dice if self.targeted else -dice
        if self.images is None or self.score is None:
            if index is not None:
                raise ValueError("the first update of MostSuccessful must cover the whole batch (index=None).")
            self.images, self.score = x.detach().clone(), score
            return
        if index is None:
            better = score > self.score
            self.images = torch.where(better.view(-1, *([1] * (x.dim() - 1))), x.detach(), self.images)
            self.score = torch.where(better, score, self.score)
            return
        better = score > self.score[index]
        self.images[index[better]] = x.detach()[better]
        self.score[index[better]] = score[better]

    def reached(self) -> torch.Tensor:
        """(B,) True where nothing better is possible: a Dice of 0 to the truth (untargeted) or of 1 to the target."""
        if self.score is None:
            raise ValueError("MostSuccessful has seen no image yet.")
        return self.score >= (1.0 if self.targeted else 0.0)
