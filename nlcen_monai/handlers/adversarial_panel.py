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
"""Ignite handler that draws a qualitative panel (paper Figure 6 style) for the first image(s) at one intensity.

It keeps the first ``num_images`` images of the evaluator's first batch, and when the run
completes (rank 0) attacks them at ``eps`` with the evaluator's own attack and network, then
draws image, perturbation, adversarial image, clean and attacked predictions, and ground
truth (for volumes, their middle slice along the last spatial axis). It is independent of the
intensity list, so it also works when a resumed sweep has nothing left to compute.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import ignite.distributed as idist
import torch
from ignite.engine import Events
from monai.utils import convert_to_tensor

from nlcen_monai.visualize.plots import plot_adversarial_panel

if TYPE_CHECKING:
    from nlcen_monai.engines import AdversarialEvaluator

__all__ = ["AdversarialPanelWriter"]


class AdversarialPanelWriter:
    """Write a PNG panel of the first ``num_images`` test images attacked at ``eps`` (rank 0 only).

    Args:
        output_dir: the folder of the figure.
        eps: the intensity shown (the paper's Figure 6: 32).
        num_images: how many images of the first batch (at most its size).
        filename: the PNG file name; default ``robustness_panel_<attack>_eps<eps>.png`` so that the
            panels of several attacks in one output folder do not overwrite each other.
        title: the figure title (default: the attack's name).
        reverse_indexing: the images are in the (x, y) order of MONAI's readers (the default for
            PNG, JPEG, NIfTI and JSRT ``.IMG``), so the panel swaps the spatial axes back and shows
            them upright; ``False`` for data already in (row, column) order.
    """

    def __init__(
        self,
        output_dir: str | os.PathLike = "./eval",
        eps: float = 32.0,
        num_images: int = 1,
        filename: str | None = None,
        title: str | None = None,
        reverse_indexing: bool = True,
    ) -> None:
        self.output_dir = Path(output_dir)
        self.eps = float(eps)
        self.num_images = int(num_images)
        self.filename = filename
        self.title = title
        self.reverse_indexing = reverse_indexing
        self._images: torch.Tensor | None = None
        self._label: torch.Tensor | None = None

    def attach(self, engine: AdversarialEvaluator) -> None:
        """Keep the first batch's images on the first iteration, draw on ``Events.COMPLETED``."""
        engine.add_event_handler(Events.ITERATION_STARTED(once=1), self.keep_first_images)
        engine.add_event_handler(Events.COMPLETED, self)

    def keep_first_images(self, engine: AdversarialEvaluator) -> None:
        """Store the first ``num_images`` images and labels of the current batch."""
        batch = engine.prepare_batch(engine.state.batch, engine.state.device, engine.non_blocking, **engine.to_kwargs)
        self._images = convert_to_tensor(batch[0][: self.num_images], track_meta=False).detach().clone()
        self._label = convert_to_tensor(batch[1][: self.num_images], track_meta=False).detach().clone()

    def __call__(self, engine: AdversarialEvaluator) -> None:
        if idist.get_rank() != 0 or self._images is None:
            return
        adversarial = engine.attack_images(self._images, self._label, self.eps)
        clean_pred = engine.predict(self._images).argmax(1, keepdim=True)
        adv_pred = engine.predict(adversarial).argmax(1, keepdim=True)
        arrays = [self._images, adversarial, clean_pred, adv_pred, self._label]
        if self._images.dim() == 5:  # volumes: the middle slice along the last spatial axis
            arrays = [a[..., a.shape[-1] // 2] for a in arrays]
        plot_adversarial_panel(
            *arrays,
            self.output_dir / (self.filename or f"robustness_panel_{engine.attack_name}_eps{self.eps:g}.png"),
            eps=self.eps,
            title=self.title or engine.attack_name,
            reverse_indexing=self.reverse_indexing,
        )
