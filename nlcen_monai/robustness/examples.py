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
"""The adversarial examples an evaluation keeps for its figures, so that no figure has to attack again."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import torch

__all__ = ["AdversarialExamples"]


@dataclass
class AdversarialExamples:
    """The first images an evaluation attacked in this run, clean and adversarial, with the predictions.

    Tensors are kept detached on the CPU; ``adversarial[0.0]`` is the clean image and ``pred[0.0]``
    the clean prediction when the clean images were scored in the same batch.

    Args:
        case_ids: the images' case ids.
        images: (N, C, *spatial) clean images in [0, 255].
        label: (N, 1, *spatial) or (N, *spatial) true class indices.
        adversarial: ``{eps: (N, C, *spatial)}`` the evaluated attack's images at each intensity.
        pred: ``{eps: (N, 1, *spatial)}`` the predicted class maps on them.
    """

    case_ids: list[str]
    images: torch.Tensor
    label: torch.Tensor
    adversarial: dict[float, torch.Tensor] = field(default_factory=dict)
    pred: dict[float, torch.Tensor] = field(default_factory=dict)

    @classmethod
    def keep(
        cls,
        n: int,
        case_ids: Sequence[str],
        images: torch.Tensor,
        label: torch.Tensor,
        adversarial: Mapping[float, torch.Tensor],
        pred: Mapping[float, torch.Tensor],
    ) -> AdversarialExamples:
        """The first ``n`` images of a batch and their adversarial images and predictions at every intensity."""

        def first(x: torch.Tensor) -> torch.Tensor:
            return x[:n].detach().cpu().clone()

        return cls(
            case_ids=list(case_ids[:n]),
            images=first(images),
            label=first(label),
            adversarial={float(e): first(x) for e, x in adversarial.items()},
            pred={float(e): first(p) for e, p in pred.items()},
        )
