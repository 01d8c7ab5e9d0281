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
"""nlcen_monai.reports.figures: how every report prints a mean with n and its interval, and says once which
records gave none."""

from __future__ import annotations

import unittest

from nlcen_monai.metrics import mean_interval, paired_difference_interval
from nlcen_monai.reports.figures import Figure, MissingIntervals


class TestFigure(unittest.TestCase):
    def test_text(self):
        self.assertEqual(Figure(0.8768, 0.8619, 0.8911, 14).text(), "0.877 [0.862, 0.891] (n 14)")
        self.assertEqual(Figure(0.0158, 0.0083, 0.0247, 14).interval(sign=True), "+0.016 [+0.008, +0.025]")
        self.assertEqual(Figure(0.912, n=14).text(), "0.912 (n 14)")  # a record without per-image values
        self.assertEqual(Figure(0.912).text(), "0.912")

    def test_of_values_and_pairs(self):
        a, b = [0.9, 0.7, 0.8, 0.6], [0.85, 0.69, 0.7, 0.58]
        self.assertEqual(Figure.of(a), Figure(*mean_interval(a)))
        self.assertEqual(Figure.paired(a, b), Figure(*paired_difference_interval(a, b)))

    def test_of_row(self):
        row = {"dice": 0.5, "dice_low": 0.4, "dice_high": 0.6, "n_images": 2}
        self.assertEqual(Figure.of_row(row), Figure(0.5, 0.4, 0.6, 2))
        self.assertFalse(Figure.of_row({"dice": 0.5, "dice_low": None, "dice_high": None, "n_images": 2}).has_interval)


class TestMissingIntervals(unittest.TestCase):
    def test_note_names_each_record_once(self):
        missing = MissingIntervals()
        self.assertEqual(missing.text(Figure(0.5, 0.4, 0.6, 2), "new"), "0.500 [0.400, 0.600] (n 2)")
        self.assertEqual(missing.note(), [])
        missing.text(Figure(0.5, n=2), "old")
        missing.interval(Figure(0.7), "old")
        note = missing.note()
        self.assertEqual(note[0], "")
        self.assertTrue(note[1].startswith("No interval: old hold(s) no per-image values"), note)


if __name__ == "__main__":
    unittest.main()
