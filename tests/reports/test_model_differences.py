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
"""nlcen_monai.reports.model_differences: paired over the common images only, and a decision only where the interval
excludes zero."""

from __future__ import annotations

import unittest

from nlcen_monai.metrics import paired_difference_interval
from nlcen_monai.reports.figures import Figure
from nlcen_monai.reports.model_differences import BETTER, WORSE, decision, paired_differences, per_image_scores


def rows(attack: str, scores: dict[float, dict[str, float]]) -> list[dict]:
    return [{"case_id": c, "attack": attack, "eps": e, "dice": d} for e, by_case in scores.items() for c, d in by_case.items()]


class TestModelDifferences(unittest.TestCase):
    def test_per_image_scores_keep_one_attack(self):
        record = rows("worst_case", {8.0: {"a": 0.5, "b": 0.6}}) + rows("check_more_iterations", {8.0: {"a": 0.1}})
        self.assertEqual(per_image_scores(record, "worst_case"), {8.0: {"a": 0.5, "b": 0.6}})

    def test_paired_over_the_common_images(self):
        model = {8.0: {"a": 0.7, "b": 0.4, "c": 0.8, "extra": 0.0}, 32.0: {"a": 0.1}}
        reference = {8.0: {"c": 0.7, "a": 0.6, "b": 0.3}, 16.0: {"a": 0.2}}
        differences = paired_differences(model, reference)
        self.assertEqual(list(differences), [8.0])  # eps 32 and 16: in one record only
        expected = Figure(*paired_difference_interval([0.7, 0.4, 0.8], [0.6, 0.3, 0.7]))  # a, b, c: "extra" left out
        self.assertEqual(differences[8.0], expected)
        self.assertEqual(differences[8.0].n, 3)
        self.assertAlmostEqual(differences[8.0].mean, 0.1)

    def test_no_common_image_no_difference(self):
        self.assertEqual(paired_differences({8.0: {"a": 0.5}}, {8.0: {"b": 0.5}}), {})

    def test_decision_needs_an_interval_that_excludes_zero(self):
        self.assertEqual(decision(Figure(0.02, 0.001, 0.04, 14)), BETTER)
        self.assertEqual(decision(Figure(-0.02, -0.04, -0.001, 14)), WORSE)
        self.assertEqual(decision(Figure(0.02, -0.001, 0.04, 14)), "")
        self.assertEqual(decision(Figure(0.02, 0.0, 0.04, 14)), "")  # touching zero does not exclude it
        self.assertEqual(decision(Figure(0.02)), "")  # no interval: no decision
        self.assertEqual(decision(None), "")


if __name__ == "__main__":
    unittest.main()
