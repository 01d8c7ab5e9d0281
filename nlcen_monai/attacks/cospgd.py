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
"""CosPGD (Agnihotri et al., ICML 2024): PGD on the pixel-wise CE weighted by the prediction's cosine similarity.

At every step each pixel's cross-entropy is weighted by ``cos(softmax(f(x)), onehot(y))`` (detached):
untargeted, the pixels still predicted confidently as their true class weigh most and the ones
already fooled fade out; targeted, the weight is ``1 - cos`` to the target, so the pixels still far
from the target weigh most, and the step descends. Apart from the loss
(:func:`~nlcen_monai.attacks.seg_losses.cosine_weighted_cross_entropy`) it is PGD: random start,
signed steps projected on the eps-ball and [0, 255], restarts, the most successful restart kept per
image, and PGD's budget (default 50 steps of ``2.5 eps / 50``; the paper uses ``alpha`` about
``eps / 3`` and up to 100 iterations).
"""

from __future__ import annotations

from .pgd import PGD
from .seg_losses import cosine_weighted_cross_entropy
from .utils import LossFactory

__all__ = ["CosPGD"]


class CosPGD(PGD):
    """CosPGD as an attack object: PGD (random start, restarts, the same arguments as
    :class:`~nlcen_monai.attacks.PGD`; the paper starts at random too) on the cosine-weighted CE;
    ``targeted`` descends the ``1 - cos`` weighted CE towards the target instead of ascending the
    ``cos`` weighted CE away from the truth. Its loss is its own: it takes no ``loss`` argument.

    Its table name is ``"cospgd"``, or ``"cospgd_targeted"`` when targeted.
    """

    name = "cospgd"
    accepts_loss = False

    def own_loss(self) -> LossFactory:
        """:func:`~nlcen_monai.attacks.seg_losses.cosine_weighted_cross_entropy` to ``y``, summed."""
        targeted = self.targeted
        return lambda y, n: lambda logits, t: cosine_weighted_cross_entropy(logits, y, targeted).sum()
