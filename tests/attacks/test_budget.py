"""Tests for budgets that depend on the intensity: normalising, looking up, scaling and describing them."""

from __future__ import annotations

import json
import unittest

from parameterized import parameterized

from nlcen_monai.attacks.budget import as_budget, budget_at, describe_budget, scale_budget

# (eps, iterations of {8: 100, 32: 450}): the smallest listed intensity at or above eps, else the largest
LOOKUP_CASES = [(0.0, 100), (2.0, 100), (8.0, 100), (8.5, 450), (16.0, 450), (32.0, 450), (255.0, 450)]


class TestBudget(unittest.TestCase):
    def test_a_count_is_the_same_at_every_intensity(self):
        budget = as_budget(300)
        self.assertEqual(budget, 300)
        self.assertEqual([budget_at(budget, e) for e in (2.0, 32.0, 255.0)], [300] * 3)
        self.assertEqual((scale_budget(budget, 4), describe_budget(budget)), (1200, 300))

    @parameterized.expand(LOOKUP_CASES)
    def test_an_intensity_takes_the_count_of_the_next_listed_one(self, eps, expected):
        budget = as_budget({"32": 450, "8": 100})  # a bundle config's string keys, in any order
        self.assertEqual(budget, {8.0: 100, 32.0: 450})
        self.assertEqual(budget_at(budget, eps), expected)

    def test_scaled_and_described_per_intensity(self):
        budget = as_budget({8: 100, 32.0: 450})
        self.assertEqual(scale_budget(budget, 4), {8.0: 400, 32.0: 1800})
        self.assertEqual(budget, {8.0: 100, 32.0: 450})  # not changed in place
        described = describe_budget(budget)
        self.assertEqual(described, {"8": 100, "32": 450})
        self.assertEqual(as_budget(json.loads(json.dumps(described))), budget)  # what a record keeps reads back

    @parameterized.expand(
        [
            ({}, "at least one intensity"),
            ({"eight": 100}, "'eight' is not a number"),
            ({"-8": 100}, "negative"),
            ({"8": 2.5}, "at eps 8 must be an integer"),
            ({"8": -1}, "at eps 8 must be >= 0"),
            (-1, "iterations must be >= 0"),
            (True, "must be an integer"),
            ("many", "must be an integer"),
        ]
    )
    def test_bad_budgets_are_refused_with_what_is_wrong(self, value, message):
        with self.assertRaisesRegex(ValueError, message):
            as_budget(value, "iterations")


if __name__ == "__main__":
    unittest.main()
