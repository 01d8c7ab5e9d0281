"""Which stored rows a change of settings makes stale (nlcen_monai.robustness.stale)."""

from __future__ import annotations

import unittest

from parameterized import parameterized

from nlcen_monai.attacks import APGD, Square, TargetedIFGSM, WorstCaseAttack
from nlcen_monai.robustness import (
    GradientMaskingChecks,
    RobustnessResult,
    recorded_settings,
    same_description,
    stale_rows,
)


def settings(iterations=4, unbounded_loss="js", factor=2, square_queries=10, check_eps=None, name="worst_case"):
    members = [TargetedIFGSM(), APGD(loss="js", iterations=iterations, seed=0)]
    checks = GradientMaskingChecks(
        epsilons=check_eps, black_box=[Square(queries=square_queries, seed=0)],
        unbounded_attacks=[APGD(loss=unbounded_loss, iterations=4, seed=0)], factor=factor,
    )
    return {"attack": WorstCaseAttack(members, name=name).describe(), "checks": checks.describe()}


ROWS = [("worst_case", 0.0), ("worst_case", 8.0), ("targeted_ifgsm", 8.0), ("apgd_js", 8.0), ("check_unbounded", 255.0),
        ("check_more_iterations", 8.0), ("check_black_box", 8.0), ("square", 8.0), ("pgd", 8.0)]


class TestStaleRows(unittest.TestCase):
    def test_descriptions_compare_on_shared_keys(self):
        self.assertTrue(same_description({"a": 1, "b": [1, {"c": 2}]}, {"a": 1, "b": [1, {"c": 2, "new": 0}]}))
        self.assertFalse(same_description({"a": 1, "b": [1, {"c": 2}]}, {"a": 1, "b": [1, {"c": 3}]}))
        self.assertFalse(same_description([1, 2], [1, 2, 3]))
        self.assertTrue(same_description("<function f at 0x7f01>", "<function f at 0x7e99>"))
        self.assertFalse(same_description("<function f at 0x7f01>", "<function g at 0x7f01>"))

    @parameterized.expand([
        ("unchanged", {}, [], []),
        ("check intensities only", {"check_eps": [8]}, [], []),
        ("member iterations", {"iterations": 8}, ["the attack"],
         [("worst_case", 8.0), ("targeted_ifgsm", 8.0), ("apgd_js", 8.0), ("check_unbounded", 255.0),
          ("check_more_iterations", 8.0), ("check_black_box", 8.0), ("square", 8.0)]),
        ("another attack name", {"iterations": 8, "name": "other"}, [], []),
        ("unbounded loss", {"unbounded_loss": "balanced_masked_ce"}, ["the unbounded check's attacks"],
         [("check_unbounded", 255.0)]),
        ("factor", {"factor": 4}, ["the more-iterations check's factor"], [("check_more_iterations", 8.0)]),
        ("black box", {"square_queries": 20}, ["the black-box attacks"], [("check_black_box", 8.0), ("square", 8.0)]),
    ])
    def test_a_change_invalidates_only_the_rows_it_made(self, _, change, expected_changes, expected_rows):
        changed, stale = stale_rows(settings(), settings(**change))
        self.assertEqual(changed, expected_changes)
        self.assertEqual([r for r in ROWS if stale(*r)], expected_rows)

    def test_unknown_settings_make_nothing_stale(self):
        changed, stale = stale_rows({}, settings())
        self.assertEqual(changed, [])
        self.assertFalse(any(stale(*r) for r in ROWS))

    def test_each_evaluated_attack_keeps_its_description(self):
        first, other = settings(), settings(name="other")
        shared = recorded_settings(recorded_settings({}, first), other)  # "worst_case" ran, then "other"
        self.assertEqual(shared["attack"], other["attack"])
        self.assertEqual(sorted(shared["attacks"]), ["other", "worst_case"])
        changed, stale = stale_rows(shared, settings(iterations=8))
        self.assertEqual(changed, ["the attack"])
        self.assertTrue(stale("worst_case", 8.0) and stale("apgd_js", 8.0))
        self.assertEqual(stale_rows(shared, settings())[0], [])
        # a store written before the key existed knows its last run's attack only
        self.assertEqual(stale_rows(other, settings(iterations=8))[0], [])

    def test_result_drops_stale_rows(self):
        result = RobustnessResult(attack="worst_case", settings=settings())
        result.add([{"case_id": c, "attack": a, "eps": e, "dice": 0.5, "jaccard": 0.3} for a, e in ROWS for c in "xy"])
        self.assertEqual(result.drop_stale(settings(unbounded_loss="ce")),
                         "the unbounded check's attacks changed: 2 recorded rows dropped")
        self.assertEqual({(a, e) for a, e, _ in result.images}, set(ROWS) - {("check_unbounded", 255.0)})
        self.assertEqual(result.drop_stale(settings()), "")  # its settings are still the recorded ones


if __name__ == "__main__":
    unittest.main()
