"""Tests for PendingFirstSampler: the ranks share the pending items evenly, each keeps its length."""

from __future__ import annotations

import unittest

from monai.data import DistributedSampler
from parameterized import parameterized

from nlcen_monai.data import PendingFirstSampler

# (number of items, ranks, even_divisible, shuffle)
CASES = [(7, 2, False, False), (9, 2, True, False), (10, 3, False, True), (11, 3, True, True)]


def shares(n, replicas, even, shuffle, pending=None, sampler=PendingFirstSampler):
    out = []
    for rank in range(replicas):
        s = sampler(list(range(n)), even_divisible=even, num_replicas=replicas, rank=rank, shuffle=shuffle, seed=3)
        if pending is not None:
            s.set_pending(pending)
        out.append((len(s), list(s)))
    return out


class TestPendingFirstSampler(unittest.TestCase):
    @parameterized.expand(CASES)
    def test_the_pending_items_are_shared_evenly(self, n, replicas, even, shuffle):
        pending = [i % replicas == 0 for i in range(n)]  # by position, MONAI's sampler gives them all to rank 0
        monai = shares(n, replicas, even, shuffle=False, sampler=DistributedSampler)
        if not shuffle:
            self.assertEqual(sum(pending[i] for i in monai[0][1]), sum(pending))
        ours = shares(n, replicas, even, shuffle, pending)
        per_rank = [sum(pending[i] for i in set(items)) for _, items in ours]
        self.assertLessEqual(max(per_rank) - min(per_rank), 1, per_rank)
        # each rank keeps MONAI's length (the engine's epoch length), and every item is sampled
        self.assertEqual([length for length, _ in ours], [length for length, _ in monai])
        self.assertEqual([len(items) for _, items in ours], [length for length, _ in ours])
        self.assertEqual(sorted({i for _, items in ours for i in items}), list(range(n)))
        if not even:  # no padding (which repeats the first items of the order): the shares are disjoint
            self.assertEqual(sorted(i for _, items in ours for i in items), list(range(n)))

    @parameterized.expand(CASES)
    def test_without_pending_flags_it_is_monais_sampler(self, n, replicas, even, shuffle):
        self.assertEqual(shares(n, replicas, even, shuffle), shares(n, replicas, even, shuffle, sampler=DistributedSampler))
        self.assertEqual(shares(n, replicas, even, shuffle, pending=[True] * n), shares(n, replicas, even, shuffle))

    def test_a_flag_per_item(self):
        sampler = PendingFirstSampler(list(range(4)), num_replicas=2, rank=0)
        with self.assertRaisesRegex(ValueError, "one flag per item: 4 items, 3 flags"):
            sampler.set_pending([True, False, True])
        sampler.set_pending([False, True, False, True])
        sampler.set_pending(None)
        self.assertIsNone(sampler.pending)


if __name__ == "__main__":
    unittest.main()
