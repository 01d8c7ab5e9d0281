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
"""The eps ramp-up of adversarial training: the budget grows linearly over the first epochs.

A network trained from scratch on full-strength adversarial images often learns nothing at all
(it settles on a constant prediction); starting with a small budget and raising it over a few
epochs avoids that (Gowal et al. 2018, Croce et al. 2023). The ramp is a pure function of the
epoch, so a resumed run (``--resume true``), whose Ignite trainer restores ``state.epoch``,
continues the ramp where the killed run left it.
"""

from __future__ import annotations

__all__ = ["ramped_eps"]


def ramped_eps(eps: float, epoch: int, ramp_epochs: int = 0, start_eps: float = 0.0) -> float:
    """The L-inf budget (grey levels) used during the 1-based ``epoch``.

    Linear from ``start_eps`` (before epoch 1) to ``eps`` (reached at epoch ``ramp_epochs``):
    ``start_eps + (eps - start_eps) * min(1, epoch / ramp_epochs)``; ``ramp_epochs = 0`` gives ``eps``
    from the first epoch on. With ``eps = 8`` and ``ramp_epochs = 4``, epochs 1, 2, 3, 4, 5 use
    2, 4, 6, 8, 8.

    Args:
        eps: the final budget in grey levels (>= 0).
        epoch: the epoch being trained, 1-based as Ignite's ``engine.state.epoch`` during an epoch
            (0, before the first epoch, gives ``start_eps``).
        ramp_epochs: number of epochs over which the budget grows (>= 0).
        start_eps: the budget the ramp starts from (0 <= start_eps <= eps).
    """
    if eps < 0:
        raise ValueError(f"eps must be >= 0, got {eps}.")
    if ramp_epochs < 0:
        raise ValueError(f"ramp_epochs must be >= 0, got {ramp_epochs}.")
    if not 0 <= start_eps <= eps:
        raise ValueError(f"start_eps must be in [0, eps={eps}], got {start_eps}.")
    if epoch < 0:
        raise ValueError(f"epoch must be >= 0, got {epoch}.")
    if ramp_epochs == 0:
        return float(eps)
    return float(start_eps + (eps - start_eps) * min(1.0, epoch / ramp_epochs))
