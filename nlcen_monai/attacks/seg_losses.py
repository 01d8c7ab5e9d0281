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
"""Per-image segmentation losses of the stronger attacks: one value per image, summed over pixels.

Each loss maps logits (B, num_classes, *spatial) and class indices ``y`` (B, *spatial) to a (B,)
tensor. ``y`` is the truth for untargeted attacks, which ascend the loss (Square descends its
margin), and the target for targeted ones, which descend it. A sum over pixels (the papers take a
mean) only rescales each image's loss, which changes neither a signed gradient step nor APGD's
per-image step-size decisions nor Square's accept test.

Which pixels "resist" is the same everywhere: for an untargeted attack a pixel still predicted as
its true class, for a targeted attack a pixel not yet predicted as its target.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

__all__ = [
    "pixel_cross_entropy",
    "masked_cross_entropy",
    "class_balance_weights",
    "balanced_cross_entropy",
    "js_divergence",
    "cosine_weighted_cross_entropy",
    "resisting_margin",
    "resisting_pixels",
]


def _per_image(values: torch.Tensor) -> torch.Tensor:
    """Sum a (B, *spatial) pixel map over its pixels."""
    return values.flatten(1).sum(1)


def resisting_pixels(logits: torch.Tensor, y: torch.Tensor, targeted: bool = False) -> torch.Tensor:
    """The pixels the attack has not won yet: predicted as ``y`` (untargeted) or not as ``y`` (targeted).

    Args:
        logits: (B, num_classes, *spatial).
        y: (B, *spatial) class indices: the truth, or the target when ``targeted``.
        targeted: which of the two meanings of ``y``.
    """
    match = logits.detach().argmax(1) == y
    return ~match if targeted else match


def pixel_cross_entropy(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Pixel-wise cross-entropy to ``y``, summed per image (Croce & Hein 2020's CE loss, per pixel).

    Args:
        logits: (B, num_classes, *spatial).
        y: (B, *spatial) class indices.
    """
    return _per_image(F.cross_entropy(logits, y, reduction="none"))


def masked_cross_entropy(logits: torch.Tensor, y: torch.Tensor, targeted: bool = False) -> torch.Tensor:
    """Cross-entropy on the resisting pixels only (SEA, Croce et al. 2023), summed per image.

    Untargeted (ascended): the CE of the pixels still classified correctly, so that the budget is not
    spent on pixels already fooled, whose unbounded CE would otherwise dominate. Targeted (descended):
    the CE to the target of the pixels not yet predicted as the target.

    Args:
        logits: (B, num_classes, *spatial).
        y: (B, *spatial) class indices: the truth, or the target when ``targeted``.
        targeted: see :func:`resisting_pixels`.
    """
    mask = resisting_pixels(logits, y, targeted).to(logits.dtype)
    return _per_image(mask * F.cross_entropy(logits, y, reduction="none"))


def class_balance_weights(y: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Per-pixel weights ``1 - (share of the image's pixels in the pixel's class)`` (SEA's balanced losses).

    A class covering a fraction ``f`` of an image weighs ``1 - f`` there, so a small structure (the
    foreground whose Dice is reported) counts as much as the large background it would otherwise be
    drowned in. In a two-class image the weights of the two classes sum to 1.

    Args:
        y: (B, *spatial) class indices.
        num_classes: the number of classes of the logits.
    """
    counts = F.one_hot(y.flatten(1), num_classes).sum(1).to(torch.float32)  # (B, num_classes)
    share = counts / y[0].numel()
    return 1 - torch.gather(share, 1, y.flatten(1)).view_as(y)


def balanced_cross_entropy(
    logits: torch.Tensor, y: torch.Tensor, targeted: bool = False, masked: bool = False
) -> torch.Tensor:
    """Class-balanced cross-entropy (SEA's Bal-CE): each pixel's CE weighted by :func:`class_balance_weights`.

    With ``masked=True`` only the resisting pixels count (see :func:`masked_cross_entropy`): the balanced
    masked CE, which neither spends the budget on pixels already won nor lets the background outweigh
    the foreground. Summed per image.

    Args:
        logits: (B, num_classes, *spatial).
        y: (B, *spatial) class indices: the truth, or the target when ``targeted``.
        targeted: see :func:`resisting_pixels` (only used with ``masked``).
        masked: keep the resisting pixels only.
    """
    weight = class_balance_weights(y, logits.shape[1]).to(logits.dtype)
    if masked:
        weight = weight * resisting_pixels(logits, y, targeted).to(logits.dtype)
    return _per_image(weight * F.cross_entropy(logits, y, reduction="none"))


def js_divergence(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Jensen-Shannon divergence between the softmax and the one-hot ``y``, summed per image (SEA).

    With ``p`` the softmax probability of class ``y`` at a pixel and ``m = (softmax + onehot) / 2``,
    ``JS = (KL(softmax || m) + KL(onehot || m)) / 2`` depends on ``p`` only: the other classes give
    ``sum_k p_k log 2 = (1 - p) log 2`` and class ``y`` gives ``p log(2p / (1 + p))`` and
    ``log(2 / (1 + p))``, so ``JS = log 2 + (p log p - (1 + p) log(1 + p)) / 2``, from ``log 2``
    (``p = 0``) down to 0 (``p = 1``). It is bounded, so pixels that are already confidently wrong
    stop contributing (their gradient vanishes) and the attack works on the others.

    Args:
        logits: (B, num_classes, *spatial).
        y: (B, *spatial) class indices.
    """
    log_p = torch.gather(F.log_softmax(logits, dim=1), 1, y.unsqueeze(1)).squeeze(1)
    p = log_p.exp()
    return _per_image(math.log(2.0) + 0.5 * (p * log_p - (1 + p) * torch.log1p(p)))


def cosine_weighted_cross_entropy(logits: torch.Tensor, y: torch.Tensor, targeted: bool = False) -> torch.Tensor:
    """CosPGD's loss (Agnihotri et al. 2024): each pixel's CE weighted by ``cos(softmax, onehot(y))``.

    Untargeted (ascended): the weight is the cosine similarity between the softmax and the one-hot
    truth, large for pixels still predicted correctly and confidently, small for pixels already
    fooled. Targeted (descended towards ``y``, the target): the weight is ``1 - cos``, large for
    pixels still far from the target. The weights are detached, as in the authors' code.

    Args:
        logits: (B, num_classes, *spatial).
        y: (B, *spatial) class indices: the truth, or the target when ``targeted``.
        targeted: which weighting.
    """
    onehot = F.one_hot(y, logits.shape[1]).movedim(-1, 1).to(logits.dtype)
    cos = F.cosine_similarity(torch.softmax(logits.detach(), dim=1), onehot, dim=1)
    weight = 1 - cos if targeted else cos
    return _per_image(weight * F.cross_entropy(logits, y, reduction="none"))


def resisting_margin(logits: torch.Tensor, y: torch.Tensor, targeted: bool = False) -> torch.Tensor:
    """The summed logit margin of the resisting pixels (the Square attack's loss, to be minimised).

    Untargeted: ``max(z_y - max_{k != y} z_k, 0)``, how far each correct pixel is from being fooled.
    Targeted: ``max(max_{k != y} z_k - z_y, 0)``, how far each pixel is from the target ``y``. Pixels
    already won contribute 0, so the loss is 0 exactly when every pixel is won, and a change is
    accepted when it brings the resisting pixels closer to flipping or flips some of them. Unlike the
    fraction of correct pixels, it is not flat between flips, which a random search needs.

    Args:
        logits: (B, num_classes, *spatial).
        y: (B, *spatial) class indices: the truth, or the target when ``targeted``.
        targeted: which margin.
    """
    z_y = torch.gather(logits, 1, y.unsqueeze(1)).squeeze(1)
    others = logits.scatter(1, y.unsqueeze(1), float("-inf")).amax(1)
    margin = others - z_y if targeted else z_y - others
    return _per_image(torch.clamp(margin, min=0))
