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
"""A network seen through a MONAI inferer, as one ``nn.Module`` that attacks can differentiate."""

from __future__ import annotations

import torch
import torch.nn as nn
from monai.inferers import Inferer, SimpleInferer
from monai.utils import convert_to_tensor

__all__ = ["InfererNetwork"]


class InfererNetwork(nn.Module):
    """``inferer(x, network)`` as a module: what an attack must attack is what the evaluator scores.

    A ``SlidingWindowInferer`` stitches patch predictions with differentiable operations, so input
    gradients flow through it; the network stays a submodule, so ``attack_mode`` switches its mode
    and freezes its parameters as for the bare network.

    Args:
        network: the segmentation network.
        inferer: a MONAI inferer; default ``SimpleInferer()``.
    """

    def __init__(self, network: nn.Module, inferer: Inferer | None = None) -> None:
        super().__init__()
        self.network = network
        self.inferer = inferer or SimpleInferer()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return convert_to_tensor(self.inferer(x, self.network), track_meta=False)
