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
"""Per-image Dice and Jaccard: the one function every robustness number in this package comes from.

The worst-case ensemble ranks attacks with it, attacks keep their most successful point with it, the
evaluator scores every prediction with it, and the results tables average its rows. MONAI's
``compute_dice`` / ``compute_iou`` do the work, with ``ignore_empty=False``: an image whose label has no
foreground scores 1 when the prediction is empty too, else 0, so every image has a number.
"""

from __future__ import annotations

import torch
from monai.metrics import compute_dice, compute_iou
from monai.networks.utils import one_hot
from monai.utils import convert_to_tensor

__all__ = ["per_image_scores"]


def per_image_scores(pred: torch.Tensor, label: torch.Tensor, num_classes: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-image Dice and Jaccard of class maps ``pred`` against ``label``, foreground classes averaged.

    Args:
        pred: (B, 1, *spatial) predicted class indices (e.g. ``logits.argmax(1, keepdim=True)``).
        label: (B, 1, *spatial) or (B, *spatial) true class indices, in any dtype.
        num_classes: the number of output classes of the network (with 1, the single class is scored).

    Returns:
        two (B,) tensors on ``pred``'s device: Dice and Jaccard.
    """
    pred = convert_to_tensor(pred, track_meta=False)
    label = convert_to_tensor(label, track_meta=False)
    if label.dim() == pred.dim() - 1:
        label = label.unsqueeze(1)
    if label.shape != pred.shape:
        raise ValueError(f"label shape {tuple(label.shape)} does not match the predictions {tuple(pred.shape)}.")
    pred_1h = one_hot(pred.long(), num_classes)
    ref_1h = one_hot(label.round().long().to(pred.device), num_classes)
    background = num_classes == 1
    dice = compute_dice(pred_1h, ref_1h, include_background=background, ignore_empty=False).mean(dim=1)
    jaccard = compute_iou(pred_1h, ref_1h, include_background=background, ignore_empty=False).mean(dim=1)
    return dice, jaccard
