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
"""Ignite handler that draws a qualitative panel (paper Figure 6 style) of the first images at one intensity.

It draws what the evaluator kept (``engine.state.examples``, an
:class:`~nlcen_monai.robustness.AdversarialExamples`: the first images attacked in this run, with their
adversarial images and predictions at every intensity): image, perturbation, adversarial image,
clean and attacked predictions, and ground truth (for volumes, their middle slice along the last
spatial axis). It never attacks again: when this run did not attack at ``eps`` (a resumed run with
nothing left to do there, or an intensity that is not evaluated) it says so in the log and draws nothing.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

import ignite.distributed as idist
from ignite.engine import Events

from nlcen_monai.robustness import eps_key
from nlcen_monai.visualize.plots import plot_adversarial_panel

if TYPE_CHECKING:
    from ignite.engine import Engine

__all__ = ["AdversarialPanelWriter"]


class AdversarialPanelWriter:
    """Write a PNG panel of the first ``num_images`` images the evaluator attacked at ``eps`` (rank 0 only).

    Args:
        output_dir: the folder of the figure.
        eps: the intensity shown (the paper's Figure 6: 32); one of the evaluated intensities.
        num_images: how many images (at most the evaluator's ``keep_examples``).
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
        self.eps = eps_key(eps)
        self.num_images = int(num_images)
        self.filename = filename
        self.title = title
        self.reverse_indexing = reverse_indexing
        self.logger = logging.getLogger(__name__)

    def attach(self, engine: Engine) -> None:
        """Draw on ``Events.COMPLETED``."""
        engine.add_event_handler(Events.COMPLETED, self)

    def __call__(self, engine: Engine) -> None:
        if idist.get_rank() != 0:
            return
        examples = getattr(engine.state, "examples", None)
        if examples is None or self.eps not in examples.adversarial:
            self.logger.info(f"no image was attacked at eps {self.eps:g} in this run: the panel is not drawn.")
            return
        if self.num_images > len(examples.case_ids):
            kept = len(examples.case_ids)
            self.logger.warning(f"the evaluator kept {kept} image(s); the panel shows those, not {self.num_images}.")
        n = self.num_images
        arrays = [examples.images, examples.adversarial[self.eps], examples.pred[0.0], examples.pred[self.eps]]
        arrays = [a[:n] for a in [*arrays, examples.label]]
        if arrays[0].dim() == 5:  # volumes: the middle slice along the last spatial axis
            arrays = [a[..., a.shape[-1] // 2] for a in arrays]
        attack = getattr(engine.state.robustness, "attack", "") or "attack"
        plot_adversarial_panel(
            *arrays,
            self.output_dir / (self.filename or f"robustness_panel_{attack}_eps{self.eps:g}.png"),
            eps=self.eps,
            title=self.title or attack,
            reverse_indexing=self.reverse_indexing,
        )
