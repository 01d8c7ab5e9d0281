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
"""Benchmark: the naive per-intensity targeted I-FGSM loop against the shared-prefix sweep (BENCHMARKS.md).

Both run in one process on the same NLCEN (ResNet-18 backbone, wrapped in ``PixelNormalizedNet``,
eval mode) and the same integer-valued chest phantoms, for the paper's 18 intensities. The
naive loop calls ``targeted_ifgsm`` once per intensity (327 forward-backward passes per
image); the sweep runs a 32-step trunk and 54 fork steps (86 passes per image).

Equality checked: bit-exact equality of the adversarial images (``torch.equal``) at every
intensity, and of the argmax predictions on them. With the default ``max_batch`` (the batch
size) every pass of the sweep sees exactly the images and batch size that the loop's pass
sees (the forks are concatenated intensity-major, so each chunk is one intensity's batch),
so a deterministic model gives identical results in float32 too. The script also prints the
fraction of identical pixels and the largest difference, and exits with status 1 if any
intensity differs.

On CUDA (``--device cuda``) the comparison runs with deterministic kernels
(``torch.use_deterministic_algorithms``, TF32 off, cuDNN deterministic; ``--no-deterministic``
to drop them): an operation without a deterministic CUDA kernel is reported by name, and the
largest per-image Dice difference between the two methods is printed whatever happens. The
throughput line (with the default kernels again) times one more sweep with the fork batch chosen from free memory
(``max_batch=None`` on CUDA, see ``nlcen_monai.attacks.auto_max_batch``) over ``--throughput-batch``
images: image-passes per second, where one image-pass is one forward-backward pass of one image.

Usage::

    python benchmarks/attack_sweep.py --quick      # 64 x 64, batch 2, narrow NLCEN: under two minutes on 2 CPU cores
    python benchmarks/attack_sweep.py --size 256 --batch 4 --fpn-channels 256 --widen-factor 1
    python benchmarks/attack_sweep.py --size 256 --batch 8 --fpn-channels 256 --widen-factor 1 --device cuda --throughput-batch 123

The last line prints ``speedup: X.XX`` (wall time of the loop / wall time of the sweep).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

import numpy as np
import torch

from nlcen_monai.attacks import inverse_target, num_steps, sweep, sweep_plan
from nlcen_monai.attacks.ifgsm import targeted_ifgsm
from nlcen_monai.attacks.worst_case import per_image_scores
from nlcen_monai.data.phantoms import chest_phantom
from nlcen_monai.networks.nets import NLCEN, PixelNormalizedNet

PAPER = [0.5, 1, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small images and a narrow NLCEN (CPU, < 2 minutes)")
    parser.add_argument("--size", type=int, default=128, help="image side (a multiple of 32)")
    parser.add_argument("--batch", type=int, default=2, help="number of images")
    parser.add_argument("--fpn-channels", type=int, default=64)
    parser.add_argument("--widen-factor", type=float, default=0.5)
    parser.add_argument("--max-batch", type=int, default=None, help="sweep's max_batch (default: the batch size)")
    parser.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=2, help="alternate loop and sweep this many times, keep the fastest")
    parser.add_argument("--no-deterministic", action="store_true", help="on CUDA, keep the default (fast) kernels")
    parser.add_argument("--throughput-batch", type=int, default=0, help="also time a sweep of this many images (0: skip)")
    args = parser.parse_args(argv)
    if args.quick:
        args.size, args.batch, args.fpn_channels, args.widen_factor = 64, 2, 32, 0.25
    return args


def deterministic_cuda() -> None:
    """Deterministic CUDA kernels: ``use_deterministic_algorithms`` (warn-only, to name the ops without one), no TF32."""
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False


def default_cuda(flags: tuple) -> None:
    """Back to the kernels that were on before :func:`deterministic_cuda` (for the throughput run)."""
    deterministic, cudnn_det, bench, tf32_mm, tf32_cudnn = flags
    torch.use_deterministic_algorithms(deterministic)
    torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = cudnn_det, bench
    torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = tf32_mm, tf32_cudnn


def phantoms(args: argparse.Namespace, n: int, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    pairs = [chest_phantom(args.size, args.seed + i) for i in range(n)]
    images = torch.as_tensor(np.stack([p[0] for p in pairs])[:, None], dtype=dtype, device=args.device).round()
    labels = torch.as_tensor(np.stack([p[1] for p in pairs])[:, None], dtype=dtype, device=args.device)
    return images, labels


def build(args: argparse.Namespace) -> tuple[torch.nn.Module, torch.Tensor, torch.Tensor]:
    torch.manual_seed(args.seed)
    dtype = getattr(torch, args.dtype)
    net = NLCEN(
        spatial_dims=2,
        in_channels=1,
        out_channels=2,
        backbone="resnet18",
        fpn_channels=args.fpn_channels,
        widen_factor=args.widen_factor,
    )
    model = PixelNormalizedNet(net, mean=127.5, std=64.0).to(args.device, dtype).eval()
    return (model, *phantoms(args, args.batch, dtype))


def sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    cuda = args.device.startswith("cuda")
    defaults = (torch.are_deterministic_algorithms_enabled(), torch.backends.cudnn.deterministic,
                torch.backends.cudnn.benchmark, torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32)
    if cuda and not args.no_deterministic:
        deterministic_cuda()
    model, images, labels = build(args)
    target = inverse_target(labels)
    plan = sweep_plan(PAPER)
    naive_passes = sum(num_steps(e) for e in PAPER)
    sweep_passes = max(k for k, _ in plan.values()) + sum(n - k for k, n in plan.values())
    print(
        f"NLCEN-R18 fpn_channels={args.fpn_channels} widen_factor={args.widen_factor}, images {tuple(images.shape)} "
        f"{args.dtype} on {args.device} ({torch.get_num_threads()} threads); {len(PAPER)} intensities, "
        f"passes per image: loop {naive_passes}, sweep {sweep_passes}"
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        targeted_ifgsm(model, images, target, 1.0)  # warm-up (allocator, kernels)
    nondeterministic = sorted({str(w.message).split(" does not have a deterministic")[0] for w in caught
                               if "deterministic" in str(w.message)})
    if cuda:
        mode = "off" if args.no_deterministic else "on"
        print(f"deterministic algorithms {mode}; ops without a deterministic CUDA kernel: {nondeterministic or 'none'}")
    max_batch = args.max_batch if args.max_batch is not None else images.shape[0]  # bit-exactness needs the batch size

    # alternate the two and keep each one's fastest run: robust to other processes sharing the cores
    t_naive = t_sweep = c_naive = c_sweep = float("inf")
    for _ in range(max(args.repeats, 1)):
        sync(args.device)
        start, cpu = time.perf_counter(), time.process_time()
        naive = {float(e): targeted_ifgsm(model, images, target, e) for e in PAPER}
        sync(args.device)
        t_naive = min(t_naive, time.perf_counter() - start)
        c_naive = min(c_naive, time.process_time() - cpu)

        start, cpu = time.perf_counter(), time.process_time()
        swept = sweep(model, images, target, PAPER, max_batch=max_batch)
        sync(args.device)
        t_sweep = min(t_sweep, time.perf_counter() - start)
        c_sweep = min(c_sweep, time.process_time() - cpu)

    ok, worst_dice = True, 0.0
    with torch.no_grad():
        for eps in PAPER:
            a, b = naive[float(eps)], swept[float(eps)]
            pred_a, pred_b = model(a).argmax(1, keepdim=True), model(b).argmax(1, keepdim=True)
            same, same_pred = torch.equal(a, b), torch.equal(pred_a, pred_b)
            ok &= same and same_pred
            dice_a, _ = per_image_scores(pred_a, labels, 2)
            dice_b, _ = per_image_scores(pred_b, labels, 2)
            worst_dice = max(worst_dice, float((dice_a - dice_b).abs().max()))
            if not same:
                print(
                    f"eps {eps:g}: {(a == b).double().mean().item():.6f} of pixels identical, "
                    f"max |diff| {(a - b).abs().max().item():g}, predictions identical: {same_pred}"
                )
    print(f"adversarial images identical at all {len(PAPER)} intensities: {ok}")
    print(f"largest per-image Dice difference, loop vs sweep: {worst_dice:.6f}")
    print(f"wall time (best of {max(args.repeats, 1)}): loop {t_naive:.2f} s, sweep {t_sweep:.2f} s")
    print(f"process CPU time: loop {c_naive:.2f} s, sweep {c_sweep:.2f} s (ratio {c_naive / c_sweep:.2f})")
    if args.throughput_batch > 0:
        if cuda:  # throughput with the default kernels: deterministic ones are slower
            default_cuda(defaults)
        many, many_labels = phantoms(args, args.throughput_batch, getattr(torch, args.dtype))
        auto = None if cuda else many.shape[0]
        sweep(model, many[:2], inverse_target(many_labels[:2]), [1.0], max_batch=auto)  # warm-up at a new size
        sync(args.device)
        start = time.perf_counter()
        sweep(model, many, inverse_target(many_labels), PAPER, max_batch=auto)
        sync(args.device)
        elapsed = time.perf_counter() - start
        print(
            f"throughput: {args.throughput_batch} images x {sweep_passes} passes in {elapsed:.2f} s = "
            f"{args.throughput_batch * sweep_passes / elapsed:.1f} image-passes/s (fork batch "
            f"{'from free memory' if auto is None else auto}); loop/sweep at batch {images.shape[0]}: "
            f"{images.shape[0] * naive_passes / t_naive:.1f} / {images.shape[0] * sweep_passes / t_sweep:.1f} image-passes/s"
        )
    print(f"speedup: {t_naive / t_sweep:.2f}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
