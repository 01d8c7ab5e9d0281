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
"""Benchmark: training-step time of NLCEN-R18 against plain FPN-R18 and MONAI's FlexibleUNet-R18 (BENCHMARKS.md).

One training step = zero_grad + forward + loss + backward + ``Adam.step``, on a batch of
one-channel images with a binary mask. Variants, all built in this one process and timed
side by side:

- ``nlcen``: ``NLCEN(backbone="resnet18")`` (an NLCE after each of conv2..conv5), loss
  ``NLCENLoss`` on its five stacked outputs (paper Eq. 5);
- ``fpn``: ``NLCEN(backbone="resnet18", nlce=False)``, the same network without NLCE modules
  (same loss): ``nlcen / fpn`` is the NLCE overhead (the project's target: <= 1.3x);
- ``flexunet``: ``monai.networks.nets.FlexibleUNet(backbone="resnet18", pretrained=False)``,
  plain cross entropy on its single output;
- ``nlcen-cl``: ``nlcen`` with model and input in ``torch.channels_last`` (``--no-channels-last``
  drops it);
- ``nlcen-<recipe>`` (only with ``--adversarial``): an adversarial-training step of ``nlcen`` as
  ``AdversarialSupervisedTrainer`` takes it (the recipe's attack object, reseeded for the step as the
  trainer reseeds it, maximising ``AdversarialObjective.crafting_loss`` at ``--adv-eps`` in eval mode,
  then the step on the adversarial images, or with a ``-mix`` recipe on the clean and adversarial images
  together, ``AdversarialObjective("mix", clean_weight=0.5)``), timed against ``nlcen-255``, the clean
  step on the same batch scaled to [0, 255]: ``nlcen-pgd5 / nlcen-255`` is the cost of adversarial
  training per step (the project's target: <= 4x). Recipes (``--recipes``, default ``pgd5 fgsm-rs``):
  ``pgd<k>`` (PGD-k, ``PGD(steps=k, step_ratio=2.5 / k)``), ``fgsm-rs`` (``FGSMRS()``), ``n-fgsm``
  (``NFGSM()``), each optionally ``-mix``; ``--adversarial-only`` times just these and ``nlcen-255``;
- ``--width W`` builds every NLCEN as the bundles do at ``width`` W (``widen_factor`` W, ``fpn_channels``
  ``max(4, int(256 W))``);
- ``nlcen-compiled`` (only with ``--compile``): ``torch.compile`` of the NLCEN model; its
  compile time (first two steps) is reported separately and not counted in the step time.

Timing: every variant gets ``--warmup`` untimed steps, then ``--repeats`` rounds; in each
round every variant runs one timed step, the order rotating from round to round, so that load
from other processes on a shared machine hits all variants alike. Reported per variant: the
median and the minimum (best-of-N) wall time of a step, and the least process CPU time (all
threads). Ratios are given of the medians, of the best-of-N times and per round (median over
rounds of the ratio of two steps run back to back). The last line is the NLCE overhead from
the best-of-N times, the figure least disturbed by other processes. On a machine shared with
other jobs, ``--threads 1`` gives far steadier figures: OpenMP threads that wait for a
descheduled sibling at every barrier can make 2-thread steps several times slower.

``--profile`` adds a ``torch.profiler`` table of one NLCEN step and the forward + backward time
of each NLCE part (non-local block, context encoding) at the size it runs at in the network.

Usage::

    python benchmarks/train_step.py --quick          # 128 x 128, batch 8, few repeats: < 3 minutes on 2 cores
    python benchmarks/train_step.py                  # 256 x 256, batch 8
    python benchmarks/train_step.py --size 256 --batch 4 --repeats 7 --compile --profile
    python benchmarks/train_step.py --quick --threads 1 --adversarial --no-channels-last
    python benchmarks/train_step.py --quick --threads 1 --adversarial-only --width 0.5 --adv-eps 32 \
        --recipes pgd5 pgd5-mix pgd2-mix n-fgsm-mix

The last line prints ``nlce overhead: X.XX`` (best-of-N step time NLCEN-R18 / FPN-R18).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch
import torch.nn as nn

from nlcen_monai.attacks import FGSMRS, NFGSM, PGD, SegmentationAttack
from nlcen_monai.attacks.utils import iteration_seed
from nlcen_monai.defense import AdversarialObjective
from nlcen_monai.losses import NLCENLoss
from nlcen_monai.networks.nets import NLCEN
from timing import machine_facts, resolve_size, rotated


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="128 x 128 and fewer repeats (< 3 minutes on 2 CPU cores)")
    parser.add_argument("--size", type=int, default=None, help="image side, a multiple of 32 (default 256, 128 with --quick)")
    parser.add_argument("--batch", type=int, default=8, help="images per training step")
    parser.add_argument("--repeats", type=int, default=None, help="timed rounds (default 5, 3 with --quick)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed steps per variant before timing")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's choice)")
    parser.add_argument("--no-channels-last", dest="channels_last", action="store_false",
                        help="skip the channels-last NLCEN variant")
    parser.add_argument("--compile", action="store_true", help="also time torch.compile(NLCEN)")
    parser.add_argument("--adversarial", action="store_true",
                        help="also time NLCEN adversarial-training steps (--recipes, at --adv-eps)")
    parser.add_argument("--adversarial-only", action="store_true",
                        help="time only the adversarial-training steps and the clean step they compare with")
    parser.add_argument("--recipes", nargs="+", default=["pgd5", "fgsm-rs"],
                        help="adversarial recipes: pgd<k>, fgsm-rs, n-fgsm, each optionally with -mix (clean weight 0.5)")
    parser.add_argument("--adv-eps", type=float, default=8.0, help="the crafting budget in grey levels")
    parser.add_argument("--width", type=float, default=1.0, help="NLCEN width as in the bundles (widen_factor, fpn_channels)")
    parser.add_argument("--profile", action="store_true", help="profile one NLCEN step and time the NLCE parts")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    resolve_size(parser, args)
    args.adversarial = args.adversarial or args.adversarial_only
    for recipe in args.recipes:
        parse_recipe(parser, recipe)
    if args.repeats is None:
        args.repeats = 3 if args.quick else 5
    return args


def parse_recipe(parser: argparse.ArgumentParser | None, recipe: str) -> tuple[SegmentationAttack, float]:
    """``(attack, clean_weight)`` of a recipe name: ``pgd5``, ``pgd2-mix``, ``fgsm-rs``, ``n-fgsm-mix``, ...

    The attack objects of ``configs/defense/adversarial_training.json`` and ``defense_campaign.sh``:
    PGD-k is ``PGD(steps=k, step_ratio=2.5 / k)``, FGSM-RS ``FGSMRS()``, N-FGSM ``NFGSM()``.
    """
    name, mix = (recipe[: -len("-mix")], 0.5) if recipe.endswith("-mix") else (recipe, 0.0)
    if name == "fgsm-rs":
        return FGSMRS(), mix
    if name == "n-fgsm":
        return NFGSM(), mix
    if name.startswith("pgd") and name[3:].isdigit() and int(name[3:]) > 0:
        steps = int(name[3:])
        return PGD(steps=steps, step_ratio=2.5 / steps), mix
    message = f"unknown recipe {recipe!r}: pgd<k>, fgsm-rs or n-fgsm, each optionally with -mix"
    if parser is None:
        raise ValueError(message)
    parser.error(message)


def nlcen(width: float, nlce: bool = True) -> nn.Module:
    """NLCEN-R18 as the bundles build it at ``width``."""
    return NLCEN(spatial_dims=2, in_channels=1, out_channels=2, backbone="resnet18", nlce=nlce, widen_factor=width,
                 fpn_channels=max(4, int(256 * width)))


class Variant:
    """A model, its Adam optimiser and its loss, with one training step as ``step()``."""

    def __init__(self, name: str, model: nn.Module, loss: nn.Module, x: torch.Tensor, y: torch.Tensor,
                 channels_last: bool = False, compiled: bool = False) -> None:
        self.name = name
        if channels_last:
            model = model.to(memory_format=torch.channels_last)
            x = x.contiguous(memory_format=torch.channels_last)
        self.model = model.train()
        self.optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
        self.forward: Callable = torch.compile(model) if compiled else model
        self.loss, self.x, self.y = loss, x, y
        self.times: list[float] = []
        self.cpu_times: list[float] = []

    def inputs(self) -> torch.Tensor:
        """The images of the step (the fixed batch; adversarial variants craft them first)."""
        return self.x

    def step(self) -> float:
        start, cpu = time.perf_counter(), time.process_time()
        x = self.inputs()
        self.optimizer.zero_grad(set_to_none=True)
        loss = self.loss(self.forward(x), self.y)
        loss.backward()
        self.optimizer.step()
        elapsed = time.perf_counter() - start
        self.last_cpu = time.process_time() - cpu
        if not torch.isfinite(loss):
            raise RuntimeError(f"{self.name}: non-finite loss {loss.item()}")
        return elapsed


class AdversarialVariant(Variant):
    """A training step on images crafted from the batch first, as ``AdversarialSupervisedTrainer`` does.

    Crafting is the trainer's (``AdversarialSupervisedTrainer.craft`` called by ``AdversarialPrepareBatch``):
    the attack reseeded with ``iteration_seed(seed, iteration, rank 0)`` (the iteration counted from 1, one
    per step), maximising the objective's crafting loss, in float32; the training inputs are the
    objective's (the adversarial images, or clean and adversarial together for a ``-mix`` recipe).
    """

    def __init__(self, name: str, model: nn.Module, loss: nn.Module, x: torch.Tensor, y: torch.Tensor,
                 attack: SegmentationAttack, eps: float = 8.0, clean_weight: float = 0.0, seed: int = 0) -> None:
        self.objective = AdversarialObjective(loss, "mix", clean_weight)
        super().__init__(name, model, self.objective.training_loss, x, y)
        self.attack, self.eps, self.seed = attack, eps, seed
        self.iteration = 0

    def inputs(self) -> torch.Tensor:
        self.iteration += 1
        if not self.objective.needs_adversarial:
            return self.objective.training_inputs(self.x, self.x)
        attack = self.attack.reseeded(iteration_seed(self.seed, self.iteration, 0))
        adversarial = attack(self.model, self.x, self.y, self.eps, loss=self.objective.crafting_loss(self.model, self.x))
        return self.objective.training_inputs(self.x, adversarial)


def build_variants(args: argparse.Namespace, x: torch.Tensor, y: torch.Tensor) -> list[Variant]:
    from monai.networks.nets import FlexibleUNet

    loss = NLCENLoss()  # stacked (B, 5, C, H, W) -> Eq. 5; plain (B, C, H, W) logits -> cross entropy
    variants = []
    if not args.adversarial_only:
        torch.manual_seed(args.seed)
        variants += [
            Variant("nlcen", nlcen(args.width), loss, x, y),
            Variant("fpn", nlcen(args.width, nlce=False), loss, x, y),
            Variant("flexunet", FlexibleUNet(in_channels=1, out_channels=2, backbone="resnet18", pretrained=False,
                                             spatial_dims=2), loss, x, y),
        ]
        if args.channels_last:
            torch.manual_seed(args.seed)
            variants.append(Variant("nlcen-cl", nlcen(args.width), loss, x, y, channels_last=True))
    if args.adversarial:  # same images in [0, 255] for the clean reference and the adversarial steps
        pixels = x.sub(x.min()).div(x.max() - x.min()).mul(255)
        for recipe in args.recipes:
            attack, clean_weight = parse_recipe(None, recipe)
            torch.manual_seed(args.seed)
            variants.append(AdversarialVariant(f"nlcen-{recipe}", nlcen(args.width), loss, pixels, y, attack,
                                               args.adv_eps, clean_weight, args.seed))
        torch.manual_seed(args.seed)
        variants.append(Variant("nlcen-255", nlcen(args.width), loss, pixels, y))
    return variants


def profile_nlcen(variant: Variant, args: argparse.Namespace) -> None:
    """Where an NLCEN step spends its time: profiler table, then each NLCE part alone (forward + backward)."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU]) as prof:
        variant.step()
    print("\n--- torch.profiler, one NLCEN training step, top ops by self CPU time ---")
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=20))

    print("--- NLCE parts alone (forward + backward, median of 3), at the sizes they run at ---")
    net = variant.model
    total = 0.0
    for level, (nlce, channels) in enumerate(zip(net.nlce, net.stage_channels)):
        side = args.size // 2 ** (level + 2)
        feats = torch.randn(args.batch, channels, side, side, requires_grad=True)
        for part_name in ("nonlocal_block", "context_encoding"):
            part = getattr(nlce, part_name)
            times = []
            for _ in range(3):
                start = time.perf_counter()
                part(feats).sum().backward()
                times.append(time.perf_counter() - start)
            t = statistics.median(times)
            total += t
            print(f"E{level + 2} ({channels} ch, {side}x{side} = {side * side} positions) {part_name:>16}: {t * 1e3:8.1f} ms")
    print(f"all NLCE parts: {total * 1e3:.1f} ms per step (forward + backward, excluding their Adam updates)\n")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    print(machine_facts())
    print(f"training step (zero_grad + forward + loss + backward + Adam) at batch {args.batch} x 1 x {args.size} x "
          f"{args.size}, float32, {args.warmup} warm-up step(s), {args.repeats} timed rounds")
    torch.manual_seed(args.seed)
    x = torch.randn(args.batch, 1, args.size, args.size)
    y = (torch.rand(args.batch, 1, args.size, args.size) > 0.5).float()
    variants = build_variants(args, x, y)
    for v in variants:
        n_params = sum(p.numel() for p in v.model.parameters())
        print(f"  {v.name:>14}: {n_params / 1e6:6.2f} M parameters")

    compiled = None
    if args.compile:
        torch.manual_seed(args.seed)
        try:
            compiled = Variant("nlcen-compiled", nlcen(args.width), NLCENLoss(), x, y, compiled=True)
            start = time.perf_counter()
            compiled.step()
            compiled.step()  # a recompile may happen on the second call
            print(f"torch.compile: first two steps (compile + run) took {time.perf_counter() - start:.1f} s")
            variants.append(compiled)
        except Exception as err:  # report, do not hide: compile support on CPU depends on the toolchain
            print(f"torch.compile failed: {type(err).__name__}: {str(err).splitlines()[0][:300]}")

    for v in variants:
        for _ in range(args.warmup):
            v.step()

    wall = time.perf_counter()
    for r in range(args.repeats):
        for v in rotated(variants, r):
            v.times.append(v.step())
            v.cpu_times.append(v.last_cpu)
    wall = time.perf_counter() - wall

    print(f"\n{'variant':>14} {'median s':>9} {'min s':>8} {'max s':>8} {'CPU s min':>10}  (timed rounds took {wall:.0f} s)")
    for v in variants:
        print(f"{v.name:>14} {statistics.median(v.times):9.3f} {min(v.times):8.3f} {max(v.times):8.3f} "
              f"{min(v.cpu_times):10.3f}")

    by_name = {v.name: v for v in variants}

    def ratios(a: str, b: str) -> tuple[float, float, float]:
        ta, tb = by_name[a].times, by_name[b].times
        return (statistics.median(ta) / statistics.median(tb), min(ta) / min(tb),
                statistics.median([p / q for p, q in zip(ta, tb)]))

    print(f"\n{'ratio':>26} {'medians':>8} {'best-of':>8} {'per-round':>10}")
    pairs = []
    if "nlcen" in by_name:
        pairs += [("nlcen", "fpn", "NLCEN-R18 / FPN-R18"), ("nlcen", "flexunet", "NLCEN-R18 / FlexibleUNet-R18"),
                  ("fpn", "flexunet", "FPN-R18 / FlexibleUNet-R18")]
    if "nlcen-cl" in by_name:
        pairs.append(("nlcen-cl", "nlcen", "channels-last / default"))
    if "nlcen-compiled" in by_name:
        pairs.append(("nlcen-compiled", "nlcen", "compiled / eager"))
    if args.adversarial:
        pairs += [(f"nlcen-{r}", "nlcen-255", f"{r} adversarial / clean") for r in args.recipes]
    for a, b, label in pairs:
        med, best, per_round = ratios(a, b)
        print(f"{label:>28} {med:8.2f} {best:8.2f} {per_round:10.2f}")
    if "nlcen-cl" in by_name:
        _, best, per_round = ratios("nlcen-cl", "nlcen")
        verdict = "pays" if best < 0.95 and per_round < 0.95 else ("costs" if best > 1.05 and per_round > 1.05 else "is a wash")
        print(f"channels-last {verdict} for NLCEN on this CPU (step time x{best:.2f} best-of, x{per_round:.2f} per round)")

    if args.profile and "nlcen" in by_name:
        profile_nlcen(by_name["nlcen"], args)

    if "nlcen" in by_name:
        print(f"nlce overhead: {ratios('nlcen', 'fpn')[1]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
