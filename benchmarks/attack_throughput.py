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
"""Benchmark: targeted I-FGSM throughput on NLCEN-R18, in images x iterations per second (BENCHMARKS.md).

The model is ``PixelNormalizedNet(NLCEN(backbone="resnet18"))`` (full width, eval mode), the
images integer-valued chest phantoms in [0, 255], the target the inverse of their lung mask.

1. Per-iteration throughput: ``targeted_ifgsm`` with a fixed number of steps (``--steps``) on
   batches of ``--batches`` images (default 1, 4, 8), in the default layout and, unless
   ``--no-channels-last``, with model and images in ``torch.channels_last``. Rounds alternate
   the configurations; the best-of-N wall time gives ``batch x steps / time``.
2. Effective throughput of a full evaluation at the paper's 18 intensities on ``--sweep-images``
   images: ``images x sum_eps n(eps) / wall time`` (327 iterations per image), for the naive
   per-intensity loop (one ``targeted_ifgsm`` call per intensity), the shared-prefix ``sweep``
   (86 passes per image; ``max_batch`` = the number of images) and the sweep with larger fork
   batches (``--fork-batch``: forks of several intensities share a pass). The adversarial images
   of the loop and of each sweep are compared (bit-exact equality is expected for the default
   ``max_batch``; larger fork batches may differ in float32, see ``nlcen_monai.attacks.sweep``).

Usage::

    python benchmarks/attack_throughput.py --quick    # 128 x 128, 1 sweep image: a few minutes on 2 CPU cores
    python benchmarks/attack_throughput.py            # 256 x 256 (the naive loop alone runs 327 passes per image)
    python benchmarks/attack_throughput.py --batches 1 2 4 8 16 --steps 4 --threads 1

The second-to-last line is the effective throughput of the exact sweep (default ``max_batch``); the last line prints
``attack throughput: X.X img*iter/s``, the best per-iteration I-FGSM throughput over the batch
sizes and layouts measured in part 1.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
import torch

from nlcen_monai.attacks import inverse_target, num_steps, sweep, sweep_plan
from nlcen_monai.attacks.ifgsm import targeted_ifgsm
from nlcen_monai.data.phantoms import chest_phantom
from nlcen_monai.networks.nets import NLCEN, PixelNormalizedNet
from timing import machine_facts, resolve_size, rotated

PAPER = [0.5, 1, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="128 x 128, fewer steps and repeats")
    parser.add_argument("--size", type=int, default=None, help="image side, a multiple of 32 (default 256, 128 with --quick)")
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 4, 8], help="batch sizes for part 1")
    parser.add_argument("--steps", type=int, default=None, help="I-FGSM steps per timed call in part 1 (default 3, 2 with --quick)")
    parser.add_argument("--repeats", type=int, default=None, help="timed rounds in part 1 (default 3, 2 with --quick)")
    parser.add_argument("--sweep-images", type=int, default=1, help="images for part 2 (0 skips part 2)")
    parser.add_argument("--sweep-repeats", type=int, default=1, help="timed rounds in part 2 (best-of)")
    parser.add_argument("--fork-batch", type=int, default=8,
                        help="max_batch of the extra sweep run in part 2 (0 skips it)")
    parser.add_argument("--no-channels-last", dest="channels_last", action="store_false",
                        help="skip the channels-last configurations")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's choice)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    resolve_size(parser, args)
    if args.steps is None:
        args.steps = 2 if args.quick else 3
    if args.repeats is None:
        args.repeats = 2 if args.quick else 3
    return args


def build_model(seed: int, channels_last: bool) -> torch.nn.Module:
    torch.manual_seed(seed)
    net = NLCEN(spatial_dims=2, in_channels=1, out_channels=2, backbone="resnet18")
    model = PixelNormalizedNet(net, mean=127.5, std=64.0).eval()
    return model.to(memory_format=torch.channels_last) if channels_last else model


def phantoms(n: int, size: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    pairs = [chest_phantom(size, seed + i) for i in range(n)]
    images = torch.as_tensor(np.stack([p[0] for p in pairs])[:, None], dtype=torch.float32)
    labels = torch.as_tensor(np.stack([p[1] for p in pairs])[:, None], dtype=torch.float32)
    return images, inverse_target(labels)


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    print(machine_facts())
    print(f"NLCEN-R18 (full width) in PixelNormalizedNet, eval mode, float32, images 1 x {args.size} x {args.size}")

    layouts = [False, True] if args.channels_last else [False]
    models = {cl: build_model(args.seed, cl) for cl in layouts}
    images, target = phantoms(max(max(args.batches), args.sweep_images), args.size, args.seed)

    # ---- part 1: per-iteration throughput over batch sizes and layouts
    configs = [(b, cl) for cl in layouts for b in args.batches]

    def attack(b: int, cl: bool) -> torch.Tensor:
        x = images[:b].contiguous(memory_format=torch.channels_last) if cl else images[:b]
        return targeted_ifgsm(models[cl], x, target[:b], eps=8.0, steps=args.steps)

    for b, cl in configs:  # warm-up: allocator, kernel selection
        targeted_ifgsm(models[cl], images[:b], target[:b], eps=8.0, steps=1)
    best = {c: float("inf") for c in configs}
    outputs = {}
    for r in range(args.repeats):
        for c in rotated(configs, r):
            t, outputs[c] = timed(lambda c=c: attack(*c))
            best[c] = min(best[c], t)
    print(f"\npart 1: targeted I-FGSM, {args.steps} steps per call, best of {args.repeats} rounds")
    print(f"{'batch':>6} {'layout':>14} {'best s':>8} {'s/img/iter':>11} {'img*iter/s':>11}")
    for b, cl in configs:
        t = best[(b, cl)]
        print(f"{b:>6} {'channels-last' if cl else 'default':>14} {t:8.2f} {t / (b * args.steps):11.3f} "
              f"{b * args.steps / t:11.2f}")
    if args.channels_last:
        for b in args.batches:
            same = torch.equal(outputs[(b, False)], outputs[(b, True)])
            print(f"batch {b}: channels-last / default time {best[(b, True)] / best[(b, False)]:.2f} "
                  f"(adversarial images identical: {same})")
    throughput = {c: c[0] * args.steps / best[c] for c in configs}
    top = max(throughput, key=throughput.get)

    # ---- part 2: a full 18-intensity evaluation, naive loop vs shared-prefix sweep
    sweep_rate = None
    if args.sweep_images > 0:
        n = args.sweep_images
        # the layout that ran fastest at this batch size in part 1 (else at the best batch size)
        cl = max(layouts, key=lambda c: throughput.get((n, c), 0.0)) if (n, False) in throughput else top[1]
        model = models[cl]
        x = images[:n].contiguous(memory_format=torch.channels_last) if cl else images[:n]
        y = target[:n]
        plan = sweep_plan(PAPER)
        iters = sum(num_steps(e) for e in PAPER)
        passes = max(k for k, _ in plan.values()) + sum(m - k for k, m in plan.values())
        print(f"\npart 2: {len(PAPER)} intensities on {n} image(s) ({'channels-last' if cl else 'default'} layout): "
              f"{iters} I-FGSM iterations per image, {passes} passes per image with the sweep")
        runs: dict[str, Callable[[], dict]] = {
            "naive loop": lambda: {float(e): targeted_ifgsm(model, x, y, e) for e in PAPER},
            "sweep": lambda: sweep(model, x, y, PAPER),
        }
        if args.fork_batch > 0 and args.fork_batch != n:
            runs[f"sweep max_batch={args.fork_batch}"] = lambda: sweep(model, x, y, PAPER, max_batch=args.fork_batch)
        wall = {k: float("inf") for k in runs}
        results = {}
        for r in range(max(args.sweep_repeats, 1)):
            for name in rotated(list(runs), r):
                t, results[name] = timed(runs[name])
                wall[name] = min(wall[name], t)
        print(f"{'run':>22} {'wall s':>8} {'img*iter/s':>11} {'x naive':>8}  identical to naive loop")
        for name in runs:
            ref = results["naive loop"]
            same = all(torch.equal(results[name][float(e)], ref[float(e)]) for e in PAPER)
            note = str(same)
            if not same:
                agree = torch.stack([(results[name][float(e)] == ref[float(e)]).float().mean() for e in PAPER]).mean()
                note += f" ({agree.item() * 100:.2f}% of pixels equal, averaged over the intensities)"
            print(f"{name:>22} {wall[name]:8.1f} {n * iters / wall[name]:11.2f} {wall['naive loop'] / wall[name]:8.2f}  {note}")
        sweep_rate = n * iters / wall["sweep"]
        if len(runs) > 2:
            print(f"(sweep with max_batch={args.fork_batch}: {n * iters / wall[list(runs)[2]]:.1f} img*iter/s; "
                  "it mixes intensities in one pass, see nlcen_monai.attacks.sweep on exactness)")

    if sweep_rate is not None:
        print(f"sweep effective throughput (exact sweep): {sweep_rate:.1f} img*iter/s")
    print(f"attack throughput: {throughput[top]:.1f} img*iter/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
