"""Tests for the store of worst-case images: exact round trip, per intensity, on disk or in memory."""

from __future__ import annotations

import os
import tempfile
import unittest

import torch

from nlcen_monai.robustness import WorstCaseImages


class TestWorstCaseImages(unittest.TestCase):
    def test_round_trip_on_disk_is_exact_and_kept_per_intensity(self):
        image8, image32 = torch.rand(1, 8, 8) * 255, torch.rand(1, 8, 8) * 255
        with tempfile.TemporaryDirectory() as d:
            store = WorstCaseImages(os.path.join(d, "worst"))
            self.assertIsNone(store.load("JPCLN002", 8))
            store.save("JPCLN002", 8, image8)
            store.save("JPCLN002", 32.0, image32)
            self.assertEqual(os.listdir(os.path.join(d, "worst")), ["JPCLN002.npz"])
            again = WorstCaseImages(os.path.join(d, "worst"))  # a resumed run
            self.assertTrue(torch.equal(again.load("JPCLN002", 8.0), image8))
            self.assertTrue(torch.equal(again.load("JPCLN002", 32), image32))
            self.assertTrue(again.has("JPCLN002", 32) and not again.has("JPCLN002", 16))
            self.assertEqual(store._memory, {})  # with a folder nothing is held in memory
            store.save("JPCLN002", 8, image32)  # a recomputed row replaces its image
            self.assertTrue(torch.equal(again.load("JPCLN002", 8), image32))

    def test_in_memory_without_a_folder(self):
        store = WorstCaseImages()
        store.save("a", 2, torch.ones(1, 4, 4))
        self.assertTrue(torch.equal(store.load("a", 2), torch.ones(1, 4, 4)))
        self.assertIsNone(WorstCaseImages().load("a", 2))


if __name__ == "__main__":
    unittest.main()
