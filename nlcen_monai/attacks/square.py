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
"""The L-inf Square attack (Andriushchenko et al., ECCV 2020) for segmentation: a gradient-free random search.

It only queries the model's logits (forward passes under ``torch.no_grad``, never a backward pass),
so a defense that hides or breaks its gradients does not stop it: it is the black-box half of the
gradient-masking check "black-box does not beat white-box" (:mod:`nlcen_monai.robustness.checks`).

Written from the paper's L-inf algorithm, on any number of spatial dimensions:

- start from vertical stripes: ``x0 + eps * s`` with one random sign ``s`` per channel and per
  position along every spatial axis but the first (in 2-D the paper's ``[C, 1, W]`` stripes; in 3-D
  lines along the first axis), clipped to [0, 255];
- at query ``i`` draw, per image, a window (a square in 2-D, a cube in 3-D) of side
  ``round((p_i * number of pixels) ** (1 / d))``, with ``p_i`` the paper's piecewise-constant schedule
  (``p_init`` halved at 10, 50, 200, 500, 1000, 2000, 4000, 6000 and 8000 of 10000 queries, rescaled
  to the budget), at a uniformly random position, and set the perturbation there to ``+-eps`` with one
  random sign per channel (redrawn when it would not change the image, as in the paper);
- keep the new point when the image's loss decreases.

The loss (:func:`~nlcen_monai.attacks.seg_losses.resisting_margin`) is the logit margin summed over
the pixels that still resist (still correct, or not yet the target), 0 once all are won. The paper's
classification margin needs a per-image scalar; the fraction of correct pixels would be one, but it is
flat between pixel flips, so a random search would accept almost nothing; the summed margin of the
resisting pixels moves with every query and reaches 0 exactly when the attack has won every pixel.
The point returned is, per image, the most successful query (lowest Dice to the truth, or highest to
the target), as for the gradient attacks. The defaults are AutoAttack's for robust models
(``p_init = 0.8``, 5000 queries); the paper's 0.05 suits undefended networks.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn as nn
from monai.utils import convert_to_tensor

from .base import SegmentationAttack
from .seg_losses import resisting_margin
from .utils import PIXEL_MAX, PIXEL_MIN, MostSuccessful, as_index_target, attack_mode, generator, logits_of

__all__ = ["square", "square_fraction", "Square"]

#: (query / budget * 10000, divisor of p_init from there on), the paper's schedule
_SCHEDULE = ((10, 1), (50, 2), (200, 4), (500, 8), (1000, 16), (2000, 32), (4000, 64), (6000, 128), (8000, 256))
#: how many times a sign that would not change the image is redrawn before it is flipped instead
_REDRAWS = 10


def square_fraction(p_init: float, query: int, queries: int) -> float:
    """The fraction ``p`` of the pixels changed at query ``query`` (0-based) of ``queries``: the paper's schedule.

    Args:
        p_init: the initial fraction.
        query: the index of the query among the search's (the stripes' query excluded).
        queries: the budget.
    """
    it = int(query / max(queries, 1) * 10000)
    for bound, divisor in _SCHEDULE:
        if it <= bound:
            return p_init / divisor
    return p_init / 512


def _random_signs(shape: tuple[int, ...], gen: torch.Generator | None, like: torch.Tensor) -> torch.Tensor:
    """Uniform random +-1 of ``shape``, drawn on the CPU from ``gen`` and moved to ``like``'s device and dtype."""
    return (2 * torch.randint(0, 2, shape, generator=gen) - 1).to(device=like.device, dtype=like.dtype)


def _random_windows(
    batch: int, spatial: tuple[int, ...], side: int, gen: torch.Generator | None, device: torch.device
) -> torch.Tensor:
    """A (B, 1, *spatial) mask of one random hypercube per image, of side ``side`` (cut to each axis' size)."""
    mask = torch.ones((batch,) + (1,) * len(spatial), dtype=torch.bool)
    for axis, size in enumerate(spatial):
        s = min(side, size)
        start = torch.randint(0, size - s + 1, (batch, 1), generator=gen)
        along = torch.arange(size).unsqueeze(0)
        shape = [batch] + [1] * len(spatial)
        shape[axis + 1] = size
        mask = mask & ((along >= start) & (along < start + s)).view(shape)
    return mask.unsqueeze(1).to(device)


def square(
    model: nn.Module,
    images: torch.Tensor,
    target: torch.Tensor,
    eps: float,
    queries: int = 5000,
    p_init: float = 0.8,
    targeted: bool = False,
    seed: int | None = None,
) -> torch.Tensor:
    """The L-inf Square attack: ``queries`` forward passes, no gradient.

    Args:
        model: maps [0, 255] images to logits; run in eval mode, its state restored afterwards.
        images: clean images (B, C, *spatial) in [0, 255].
        target: (B, *spatial) or (B, 1, *spatial) labels: the truth (untargeted) or the target (targeted).
        eps: L-inf budget in grey levels.
        queries: forward passes per image, the stripes' included; the search stops early once every
            pixel of every image is won.
        p_init: the initial fraction of the pixels in a window.
        targeted: bring the pixels to ``target`` instead of away from the truth.
        seed: seed of the random draws; None uses the global RNG.
    """
    if queries < 1:
        raise ValueError(f"queries must be >= 1, got {queries}.")
    if not 0 < p_init <= 1:
        raise ValueError(f"p_init must be in (0, 1], got {p_init}.")
    x0 = convert_to_tensor(images, track_meta=False).detach()
    y = as_index_target(target, x0)
    batch, channels, *spatial = x0.shape
    spatial = tuple(spatial)
    n_pixels = float(math.prod(spatial))
    gen = generator(seed)
    best = MostSuccessful(y, targeted)

    def query(x: torch.Tensor) -> torch.Tensor:
        logits = logits_of(model, x)
        best.update(x, logits)
        return resisting_margin(logits, y, targeted)

    with attack_mode(model), torch.no_grad():
        stripes = _random_signs((batch, channels, 1, *spatial[1:]), gen, x0)
        x_best = torch.clamp(x0 + eps * stripes, PIXEL_MIN, PIXEL_MAX)
        loss_best = query(x_best)
        view = (-1,) + (1,) * (x0.dim() - 1)
        for i in range(queries - 1):
            if not bool((loss_best > 0).any()):
                break
            p = square_fraction(p_init, i, queries)
            side = max(int(round((p * n_pixels) ** (1.0 / max(len(spatial), 1)))), 1)
            window = _random_windows(batch, spatial, side, gen, x0.device)
            delta = x_best - x0
            signs = _random_signs((batch, channels) + (1,) * len(spatial), gen, x0)
            for attempt in range(_REDRAWS + 1):
                x_new = torch.clamp(x0 + torch.where(window, eps * signs, delta), PIXEL_MIN, PIXEL_MAX)
                same = (x_new == x_best).flatten(1).all(1)
                if not bool(same.any()):
                    break
                # the paper redraws a sign that changes nothing; after _REDRAWS tries flip it, which always changes
                fresh = -signs if attempt == _REDRAWS - 1 else _random_signs(tuple(signs.shape), gen, x0)
                signs = torch.where(same.view(view), fresh, signs)
            loss = query(x_new)
            improved = loss < loss_best
            x_best = torch.where(improved.view(view), x_new, x_best)
            loss_best = torch.where(improved, loss, loss_best)
    return best.images


class Square(SegmentationAttack):
    """The Square attack (:func:`square`) as an attack object: ``Square(queries=5000)(model, images, label, eps)``.

    Args:
        queries: forward passes per image (AutoAttack: 5000); ``strengthened(2)`` doubles it.
        p_init: the initial fraction of the pixels in a window (AutoAttack for robust models: 0.8).
        seed: seed of the random draws; None uses the global RNG.
        targeted: bring the pixels to ``target_fn(label)`` instead of away from the truth.
        target_fn: see :class:`~nlcen_monai.attacks.SegmentationAttack`.
        name: the table name; default ``"square"`` (``"square_targeted"`` when targeted).
    """

    name = "square"
    strength_attributes = ("queries",)

    def __init__(
        self,
        queries: int = 5000,
        p_init: float = 0.8,
        seed: int | None = None,
        targeted: bool | None = None,
        target_fn: Callable[[torch.Tensor], torch.Tensor] | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(targeted=targeted, target_fn=target_fn, name=name)
        if name is None and self.targeted:
            self.name = f"{self.name}_targeted"
        self.queries = int(queries)
        self.p_init = float(p_init)
        self.seed = seed

    def perturb(self, model: nn.Module, images: torch.Tensor, y: torch.Tensor, eps: float) -> torch.Tensor:
        return square(
            model, images, y, eps, queries=self.queries, p_init=self.p_init, targeted=self.targeted, seed=self.seed
        )

    def cost(self, eps: float) -> float:
        """At most ``queries`` forward-only passes per image, each counted as a whole pass (a forward pass
        costs about a third of a gradient step's forward-backward pass); fewer when every pixel is won
        early. No backward pass."""
        return float(self.queries)
