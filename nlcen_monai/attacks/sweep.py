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
"""The shared-prefix intensity sweep: every intensity's I-FGSM from one trunk and short batched forks.

After ``t`` steps of size ``alpha`` the perturbation is at most ``t * alpha``,
so the eps-clip is inactive while ``t * alpha <= eps``: every intensity's trajectory equals the
largest one's for its first ``k(eps) = floor(eps / alpha)`` steps. One trunk runs without the
eps-clip (the [0, 255] clip is applied at every step, as in the per-intensity attack); each
intensity forks from the trunk's state after ``k(eps)`` steps, gets its eps-clip there, and
finishes its remaining ``num_steps(eps, alpha) - k(eps)`` steps. The forks run in lock step,
images x intensities concatenated along the batch dimension in chunks of ``max_batch``.

Exactness: the trunk applies the same floating-point operations as the per-intensity loop
(``signed_step`` and ``eps_bounds`` are shared), the eps-clip and [0, 255] clip commute (both
boxes contain the clean image), and the eps-clip that the loop applies at steps ``t <= k(eps)``
changes nothing: at ``t < k(eps)`` the margin is at least ``alpha`` (far above rounding error)
and at ``t = k(eps)`` the fork applies the clip itself. ``k`` is computed with a plain
``floor(eps / alpha)``; if rounding makes it one too small the fork only starts earlier, which
is still exact. With ``alpha = 1`` and integer images all arithmetic is exact integers.
What remains is the model. The trunk's passes see exactly the loop's batch; the forks are
concatenated intensity-major, so with ``max_batch`` = the batch size (the default on the CPU) each fork
pass is one intensity's batch, exactly the loop's input, and a deterministic model gives
bit-identical results in float32 too (``benchmarks/attack_sweep.py`` checks it on NLCEN).
A larger ``max_batch`` fills the device better but mixes intensities in one pass: then
equality needs per-image outputs that do not depend on the batch (true for conv/BatchNorm-eval
networks in float64; in float32 a kernel may change its blocking with the batch size and flip
the sign of a near-zero gradient). On CUDA the same holds only with deterministic kernels
(``torch.use_deterministic_algorithms(True)``, TF32 off, cuDNN deterministic): atomics in a
backward kernel otherwise change the last bits from run to run. ``benchmarks/attack_sweep.py
--device cuda`` checks it and reports the largest Dice difference when an operation has no
deterministic CUDA implementation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn as nn
from monai.utils import convert_to_tensor

from .utils import as_index_target, attack_mode, cross_entropy_sum, eps_bounds, input_gradient, num_steps, signed_step

__all__ = ["sweep", "sweep_plan", "auto_max_batch"]


def sweep_plan(epsilons: Sequence[float], alpha: float = 1.0) -> dict[float, tuple[int, int]]:
    """For each intensity, ``(k, n)``: the trunk step it forks at and its total number of steps.

    Args:
        epsilons: the intensities in grey levels.
        alpha: the step size in grey levels.
    """
    plan = {}
    for eps in epsilons:
        n = num_steps(float(eps), alpha)
        plan[float(eps)] = (min(int(math.floor(float(eps) / alpha)), n), n)
    return plan


def _gradients(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, max_batch: int, step: int = 0
) -> torch.Tensor:
    """Input gradients of the per-image summed CE, computed in chunks of at most ``max_batch`` images."""
    grads = [
        input_gradient(model, x[i : i + max_batch], cross_entropy_sum(y[i : i + max_batch]), step)
        for i in range(0, x.shape[0], max_batch)
    ]
    return torch.cat(grads, dim=0)


def auto_max_batch(
    model: nn.Module, images: torch.Tensor, target: torch.Tensor, memory_fraction: float = 0.5, limit: int = 1024
) -> int:
    """The largest pass that fits in ``memory_fraction`` of the free CUDA memory, probed with one image.

    One forward-backward pass of one image measures its peak memory; the free memory
    (``torch.cuda.mem_get_info``) divided by it, times ``memory_fraction``, is the fork batch. On
    the CPU (or for an empty batch) it returns the batch size: there a larger pass does not run faster.

    Args:
        model: the attacked network.
        images: clean images (B, C, *spatial) on the device.
        target: their (B, *spatial) or (B, 1, *spatial) labels.
        memory_fraction: the share of the free memory to fill.
        limit: the most images in one pass.
    """
    batch = int(images.shape[0])
    if images.device.type != "cuda" or batch == 0:
        return max(batch, 1)
    x = convert_to_tensor(images[:1], track_meta=False).detach()
    y = as_index_target(convert_to_tensor(target, track_meta=False)[:1], x)
    torch.cuda.synchronize(x.device)
    base = torch.cuda.memory_allocated(x.device)
    torch.cuda.reset_peak_memory_stats(x.device)
    with attack_mode(model):
        input_gradient(model, x, cross_entropy_sum(y))
    torch.cuda.synchronize(x.device)
    per_image = max(torch.cuda.max_memory_allocated(x.device) - base, 1)
    free, _ = torch.cuda.mem_get_info(x.device)
    return int(min(max(batch, memory_fraction * free // per_image), limit))


def sweep(
    model: nn.Module,
    images: torch.Tensor,
    target: torch.Tensor,
    epsilons: Sequence[float],
    alpha: float = 1.0,
    max_batch: int | None = None,
    targeted: bool = True,
) -> dict[float, torch.Tensor]:
    """I-FGSM adversarial images at every intensity, identical to one :class:`~nlcen_monai.attacks.TargetedIFGSM` call per intensity.

    Args:
        model: maps [0, 255] images (B, C, H, W) to logits; run in eval mode, its mode and
            ``requires_grad`` flags restored afterwards (also on exception).
        images: clean images in [0, 255].
        target: (B, H, W) or (B, 1, H, W) labels: the target when ``targeted``, else the truth.
        epsilons: intensities in grey levels (each runs ``num_steps(eps, alpha)`` steps).
        alpha: step size in grey levels.
        max_batch: the most images in one forward/backward pass (trunk and forks). Default: on the
            CPU the batch size of ``images`` (each fork pass is one intensity's batch, bit-identical to
            the loop); on CUDA :func:`auto_max_batch`, the pass that fills half the free memory, so
            the forks of many intensities share each pass (pass the batch size for bit-exactness).
        targeted: True for the paper's targeted attack, False for untargeted I-FGSM.

    Returns:
        ``{float(eps): adversarial images}`` for every intensity, detached, same dtype as ``images``.
    """
    x0 = convert_to_tensor(images, track_meta=False).detach()
    y = as_index_target(target, x0)
    batch = x0.shape[0]
    max_batch = auto_max_batch(model, x0, y) if max_batch is None else int(max_batch)
    if max_batch < 1:
        raise ValueError(f"max_batch must be >= 1, got {max_batch}.")
    plan = sweep_plan(epsilons, alpha)
    if not plan:
        return {}
    fork_points = {k for k, _ in plan.values()}

    with attack_mode(model):
        # the trunk: no eps-clip, states kept at every fork point
        trunk = {0: x0}
        x = x0
        for t in range(max(fork_points)):
            x = signed_step(x, _gradients(model, x, y, max_batch, t), alpha, descend=targeted, bounds=None)
            if t + 1 in fork_points:
                trunk[t + 1] = x

        # the forks: clip each trunk state to its intensity's ball, then finish in lock step
        states, bounds, remaining = {}, {}, {}
        for eps, (k, n) in plan.items():
            bounds[eps] = eps_bounds(x0, eps)
            states[eps] = torch.clamp(trunk[k], min=bounds[eps][0], max=bounds[eps][1])
            remaining[eps] = n - k
        for s in range(max(remaining.values())):
            active = [eps for eps in plan if remaining[eps] > s]
            xs = torch.cat([states[eps] for eps in active], dim=0)
            lo = torch.cat([bounds[eps][0] for eps in active], dim=0)
            hi = torch.cat([bounds[eps][1] for eps in active], dim=0)
            ys = y.repeat(len(active), *([1] * (y.dim() - 1)))
            xs = signed_step(xs, _gradients(model, xs, ys, max_batch, s), alpha, descend=targeted, bounds=(lo, hi))
            for eps, x_eps in zip(active, xs.split(batch, dim=0)):
                states[eps] = x_eps
    return {float(eps): states[float(eps)] for eps in epsilons}
