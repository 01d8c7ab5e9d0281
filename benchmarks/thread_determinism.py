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
"""Does the number of PyTorch threads change a training step's numbers? One step per thread count, twice.

For a network of the comparison (``nlcen_monai.networks.get_network``, its own training loss from
``get_loss``) and one fixed random batch, the loss and the gradients of one training step (train
mode: batch norm on the batch's statistics) with each thread count of ``--threads``, each computed
twice from the same initialisation. The table says whether the repeat with the same count is
bit-identical and how far the gradients are from those of the first count. Intra-op threads split
the convolutions' and normalisations' sums into a thread-dependent order, so a difference here,
carried through every step of a training, gives other weights: a model retrained with another
``OMP_NUM_THREADS`` is not the same model, even with the same seed.

Usage::

    python benchmarks/thread_determinism.py --network invertednet --size 128 --batch 2 --threads 1 2
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

import torch

from nlcen_monai.networks import get_loss, get_network


def training_step(
    network: str, size: int, batch: int, threads: int, seed: int = 0, **network_kwargs: Any
) -> tuple[float, torch.Tensor]:
    """The loss and the flattened gradients of one training step of ``network`` with ``threads`` threads.

    Args:
        network: a name of ``nlcen_monai.networks.network_names()``.
        size: the images' side.
        batch: the number of images.
        threads: ``torch.set_num_threads`` for this step.
        seed: the seed of the initialisation and of the batch (the same for every call).
        network_kwargs: ``get_network`` arguments (``nlce``, ``features``, ...).
    """
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    net = get_network(network, **network_kwargs).train()
    generator = torch.Generator().manual_seed(seed + 1)
    images = torch.randn(batch, 1, size, size, generator=generator)
    labels = (torch.rand(batch, 1, size, size, generator=generator) > 0.5).long()
    loss = get_loss(network)(net(images), labels)
    loss.backward()
    return loss.item(), torch.cat([p.grad.flatten() for p in net.parameters() if p.grad is not None])


def determinism_table(
    network: str, size: int, batch: int, threads: Sequence[int], **network_kwargs: Any
) -> list[str]:
    """Markdown rows: per thread count, the loss, whether a repeat is bit-identical, the gradient distance
    (:func:`training_step`'s arguments)."""
    rows = [
        "| threads | loss | repeat bit-identical | gradients bit-identical to the first count's | max abs gradient difference |",
        "|---:|---:|---|---|---:|",
    ]
    reference = None
    for count in threads:
        loss, grads = training_step(network, size, batch, count, **network_kwargs)
        loss_again, grads_again = training_step(network, size, batch, count, **network_kwargs)
        repeat = loss == loss_again and torch.equal(grads, grads_again)
        reference = grads if reference is None else reference
        same = torch.equal(grads, reference)
        diff = (grads - reference).abs().max().item()
        rows.append(f"| {count} | {loss!r} | {'yes' if repeat else 'NO'} | {'yes' if same else 'no'} | {diff:.3g} |")
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--network", default="invertednet", help="a network name of the comparison (default invertednet)")
    parser.add_argument("--size", type=int, default=128, help="image side (default 128)")
    parser.add_argument("--batch", type=int, default=2, help="images in the batch (default 2)")
    parser.add_argument("--nlce", action="store_true", help="the network with NLCE modules")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="thread counts (default 1 2)")
    args = parser.parse_args(argv)
    name = args.network + (" + NLCE" if args.nlce else "")
    print(f"{name}, one training step on {args.batch} random {args.size} x {args.size} images")
    print("\n".join(determinism_table(args.network, args.size, args.batch, args.threads, nlce=args.nlce)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
