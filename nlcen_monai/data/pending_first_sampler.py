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
"""A distributed sampler that deals the items still to be done out evenly over the ranks.

A resumed multi-process evaluation skips the images its record already holds. MONAI's
:class:`~monai.data.DistributedSampler` shards the data set by position (rank ``r`` of ``n`` takes items
``r, r + n, ...``), so when the finished images are unevenly spread over those positions one process is
left with most of the work and the others wait. :class:`PendingFirstSampler` orders the items that are
still pending before the finished ones and then shards that order the same way: each rank gets the same
number of items as before (so ``len(sampler)`` and the engine's epoch length do not change), and the
pending items differ by at most one between ranks. Who knows which items are pending (the
:class:`~nlcen_monai.engines.AdversarialEvaluator`, from its record) tells the sampler by
:meth:`PendingFirstSampler.set_pending` before the data loader is iterated; until then it is MONAI's sampler.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

import torch
from monai.data import DistributedSampler

__all__ = ["PendingFirstSampler"]


class PendingFirstSampler(DistributedSampler):
    """MONAI's ``DistributedSampler`` that shards the pending items first, so that every rank gets its share of them.

    Every rank must be told the same pending flags (they are read from the same record), so that the ranks
    agree on one order and their shares stay disjoint.

    Args:
        dataset: the data set to sample from.
        even_divisible: as MONAI's ``DistributedSampler`` (False: ranks may get one item fewer than others).
        num_replicas: the number of ranks (default: the process group's world size).
        rank: this process's rank (default: the process group's rank).
        shuffle: shuffle the items (seeded by ``seed`` and the epoch) before the pending ones are put first.
        kwargs: ``seed`` and ``drop_last`` of PyTorch's ``DistributedSampler``.

    Example::

        sampler = PendingFirstSampler(dataset, even_divisible=False, shuffle=False)
        sampler.set_pending([case not in finished for case in case_ids])
    """

    def __init__(
        self,
        dataset: torch.utils.data.Dataset,
        even_divisible: bool = True,
        num_replicas: int | None = None,
        rank: int | None = None,
        shuffle: bool = True,
        **kwargs,
    ) -> None:
        super().__init__(
            dataset=dataset, even_divisible=even_divisible, num_replicas=num_replicas, rank=rank, shuffle=shuffle, **kwargs
        )
        self.pending: list[bool] | None = None

    def set_pending(self, pending: Sequence[bool] | None) -> None:
        """Which items still need work, one flag per item of the data set; None: all items alike (MONAI's order).

        Raises:
            ValueError: when there is not one flag per item.
        """
        if pending is not None and len(pending) != len(self.dataset):  # type: ignore[arg-type]
            raise ValueError(f"set_pending needs one flag per item: {len(self.dataset)} items, {len(pending)} flags.")  # type: ignore[arg-type]
        self.pending = None if pending is None else [bool(p) for p in pending]

    def __iter__(self) -> Iterator[int]:
        if self.pending is None:
            return super().__iter__()
        n = len(self.dataset)  # type: ignore[arg-type]
        if self.shuffle:  # the same draw as PyTorch's DistributedSampler
            generator = torch.Generator()
            generator.manual_seed(self.seed + self.epoch)
            order = torch.randperm(n, generator=generator).tolist()
        else:
            order = list(range(n))
        order.sort(key=lambda i: not self.pending[i])  # stable: the pending ones first, each part in its own order
        if len(order) < self.total_size:  # even_divisible: padded as PyTorch pads
            padding = self.total_size - len(order)
            order += (order * math.ceil(padding / len(order)))[:padding]
        return iter(order[self.rank : self.total_size : self.num_replicas])
