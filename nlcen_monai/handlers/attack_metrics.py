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
"""Mean Dice and Jaccard of one attack at one intensity, as MONAI metric handlers over ``IgniteMetricHandler``.

The adversarial evaluator puts each prediction it scores under its own output key
(``pred_<key>``, one-hot, for the images listed in ``index_<key>``: a worst-case member attacks only
the images still unbroken) beside the one-hot labels of the whole batch (``label_onehot``).
:class:`AttackOutput` picks one key's pair out of that output, and :class:`AttackMeanDice` /
:class:`AttackMeanIoU` are MONAI's ``MeanDice`` / ``MeanIoUHandler`` pattern with two differences
that the robustness tables need: every image counts (``ignore_empty=False``: an image without
foreground scores 1 if nothing is predicted, else 0, exactly as the per-image table and the
worst-case ranking score it), and a key that no image reached reports NaN instead of raising.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch
from monai.handlers import IgniteMetricHandler
from monai.metrics import DiceMetric, MeanIoU

__all__ = ["AttackOutput", "AttackMeanDice", "AttackMeanIoU"]


class AttackOutput:
    """``output_transform`` that returns ``(output["pred_<key>"], output["label_onehot"][output["index_<key>"]])``.

    A batch in which the key was not scored (no image attacked) gives two empty tensors.

    Args:
        key: the scored key, e.g. ``"eps8"`` or ``"apgd_ce_eps8"``.
    """

    def __init__(self, key: str) -> None:
        self.key = key

    def __call__(self, output: Mapping[str, Any]) -> tuple[torch.Tensor, torch.Tensor]:
        label = output["label_onehot"]
        pred = output.get(f"pred_{self.key}")
        if pred is None:
            return label[:0], label[:0]
        index = output.get(f"index_{self.key}")
        return pred, label if index is None else label[index.to(label.device)]


class _AttackMetricHandler(IgniteMetricHandler):
    """An ``IgniteMetricHandler`` that skips empty batches and reports NaN when nothing was scored."""

    def __init__(self, metric_fn: Any, key: str, output_transform: Callable | None, save_details: bool) -> None:
        super().__init__(metric_fn=metric_fn, output_transform=output_transform or AttackOutput(key), save_details=save_details)
        self.key = key
        self.n_images = 0

    def update(self, output) -> None:
        if len(output) == 2 and output[0].shape[0] == 0:
            return
        super().update(output)

    def compute(self) -> Any:
        buffer = self.metric_fn.get_buffer()
        self.n_images = 0 if buffer is None else int(buffer.shape[0])
        if self.n_images == 0:
            return float("nan")
        return super().compute()


class AttackMeanDice(_AttackMetricHandler):
    """Mean Dice (foreground classes, every image counted) of the predictions under output key ``pred_<key>``.

    Args:
        key: the scored key (see :class:`AttackOutput`).
        output_transform: default ``AttackOutput(key)``.
        save_details: keep the per-image values in ``engine.state.metric_details``.
    """

    def __init__(self, key: str, output_transform: Callable | None = None, save_details: bool = False) -> None:
        metric_fn = DiceMetric(include_background=False, reduction="mean", ignore_empty=False)
        super().__init__(metric_fn, key, output_transform, save_details)


class AttackMeanIoU(_AttackMetricHandler):
    """Mean Jaccard (foreground classes, every image counted) of the predictions under output key ``pred_<key>``.

    Args:
        key: the scored key (see :class:`AttackOutput`).
        output_transform: default ``AttackOutput(key)``.
        save_details: keep the per-image values in ``engine.state.metric_details``.
    """

    def __init__(self, key: str, output_transform: Callable | None = None, save_details: bool = False) -> None:
        metric_fn = MeanIoU(include_background=False, reduction="mean", ignore_empty=False)
        super().__init__(metric_fn, key, output_transform, save_details)
