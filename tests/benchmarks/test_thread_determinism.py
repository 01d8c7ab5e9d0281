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
"""benchmarks/thread_determinism.py: one training step per thread count, repeated."""

from __future__ import annotations

import importlib.util
import unittest
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("thread_determinism", REPO / "benchmarks" / "thread_determinism.py")
thread_determinism = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(thread_determinism)

TINY = {"features": (4, 8, 8, 16, 16, 4)}


class TestThreadDeterminism(unittest.TestCase):
    def setUp(self):
        self.threads = torch.get_num_threads()

    def tearDown(self):
        torch.set_num_threads(self.threads)

    def test_step_has_every_gradient(self):
        loss, grads = thread_determinism.training_step("unet", 32, 2, 1, nlce=True, **TINY)
        net = thread_determinism.get_network("unet", nlce=True, **TINY)
        self.assertEqual(grads.numel(), sum(p.numel() for p in net.parameters()))
        self.assertGreater(loss, 0.0)
        self.assertGreater(grads.abs().sum().item(), 0.0)

    def test_repeat_with_same_thread_count_is_bit_identical(self):
        rows = thread_determinism.determinism_table("unet", 32, 2, [1, 2], **TINY)
        self.assertEqual(len(rows), 4)  # header, separator, one row per count
        for row, count in zip(rows[2:], (1, 2)):
            cells = [c.strip() for c in row.strip("|").split("|")]
            self.assertEqual(cells[0], str(count))
            self.assertEqual(cells[2], "yes", row)  # the same count twice: the same numbers
        first = [c.strip() for c in rows[2].strip("|").split("|")]
        self.assertEqual(first[3:], ["yes", "0"])  # the reference row is itself


if __name__ == "__main__":
    unittest.main()
