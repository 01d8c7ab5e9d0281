"""Benchmark: peak memory and time of our NonLocalBlock against a naive softmax(QK^T)V block.

Each measurement runs in a fresh subprocess so that the peak resident set size (``ru_maxrss``)
belongs to that variant alone; the figure reported is the peak minus the resident size just
before the forward pass (model and input already allocated). Both variants share the same
weights (the naive one reuses our block's 1x1 convolutions) and their outputs are compared.

Usage::

    python benchmarks/nonlocal_memory.py              # 64 x 64 and 128 x 128 maps, C = 64
    python benchmarks/nonlocal_memory.py --sizes 128 --backward

The last line prints the memory ratio naive / ours at the largest map.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import torch


def naive_forward(block, x: torch.Tensor) -> torch.Tensor:
    """softmax(theta^T phi) g written out: materialises the N x N affinity matrix."""
    theta = block.theta(x).flatten(2).transpose(1, 2)  # (B, N, C')
    phi = block.phi(x).flatten(2)  # (B, C', N)
    g = block.g(x).flatten(2).transpose(1, 2)  # (B, N, C')
    y = torch.softmax(theta @ phi, dim=-1) @ g
    y = y.transpose(1, 2).reshape(x.shape[0], -1, *x.shape[2:])
    return block.w_z(y) + x


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def measure(variant: str, size: int, channels: int, backward: bool, repeats: int) -> dict:
    """Run in a child process: peak extra memory (MB) and median time (s) of one pass."""
    from nlcen_monai.networks.blocks import NonLocalBlock

    torch.manual_seed(0)
    torch.set_num_threads(torch.get_num_threads())
    block = NonLocalBlock(2, channels).eval()
    torch.nn.init.normal_(block.w_z[1].weight)  # make the attention visible in the output
    x = torch.randn(1, channels, size, size, requires_grad=backward)
    fn = block if variant == "ours" else (lambda t: naive_forward(block, t))
    base = rss_mb()
    # ru_maxrss is the lifetime peak: if it already exceeds the current size, a smaller forward
    # pass would not show; such a run is flagged instead of reported as a small figure
    earlier_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - base
    times = []
    out = None
    for _ in range(repeats):
        start = time.perf_counter()
        with torch.set_grad_enabled(backward):
            out = fn(x)
            if backward:
                out.sum().backward()
        times.append(time.perf_counter() - start)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB -> MB on Linux
    checksum = float(out.detach().double().sum())
    if peak - base <= earlier_peak + 1.0:
        raise SystemExit(f"{variant} at {size}: the forward's peak ({peak - base:.1f} MB) does not exceed the "
                         f"process's earlier peak ({earlier_peak:.1f} MB above the baseline); figure unreliable")
    return {"peak_mb": peak - base, "time_s": sorted(times)[len(times) // 2], "checksum": checksum}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[64, 128], help="feature map side lengths")
    parser.add_argument("--channels", type=int, default=64, help="input channels C (C' = C / 2)")
    parser.add_argument("--repeats", type=int, default=3, help="timed passes per variant (median reported)")
    parser.add_argument("--backward", action="store_true", help="time forward + backward instead of forward")
    parser.add_argument("--child", nargs=2, metavar=("VARIANT", "SIZE"), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        result = measure(args.child[0], int(args.child[1]), args.channels, args.backward, args.repeats)
        print(json.dumps(result))
        return

    pass_name = "forward+backward" if args.backward else "forward"
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, C={args.channels}, {pass_name}")
    print(f"{'map':>9} {'N':>7} {'variant':>7} {'peak extra MB':>14} {'time s':>8}")
    ratio = None
    for size in args.sizes:
        results = {}
        for variant in ("naive", "ours"):
            cmd = [sys.executable, __file__, "--child", variant, str(size), "--channels", str(args.channels),
                   "--repeats", str(args.repeats)] + (["--backward"] if args.backward else [])
            results[variant] = json.loads(subprocess.check_output(cmd).decode().strip().splitlines()[-1])
            r = results[variant]
            print(f"{size:>4}x{size:<4} {size * size:>7} {variant:>7} {r['peak_mb']:>14.1f} {r['time_s']:>8.3f}")
        rel = abs(results["naive"]["checksum"] - results["ours"]["checksum"]) / max(1.0, abs(results["naive"]["checksum"]))
        if rel > 1e-3:
            raise SystemExit(f"outputs differ at {size}x{size}: checksums {results['naive']['checksum']} vs "
                             f"{results['ours']['checksum']}")
        ratio = results["naive"]["peak_mb"] / max(results["ours"]["peak_mb"], 1e-3)
        time_ratio = results["naive"]["time_s"] / results["ours"]["time_s"]
        print(f"{size}x{size}: memory naive/ours = {ratio:.1f}x, time naive/ours = {time_ratio:.2f}x, "
              f"outputs agree (rel. checksum diff {rel:.1e})")
    print(f"memory ratio: {ratio:.1f}")


if __name__ == "__main__":
    main()
