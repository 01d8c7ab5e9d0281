"""Tests for the roles of robustness rows: written by the evaluator, inferred once for older records."""

from __future__ import annotations

import unittest

from nlcen_monai.robustness import RobustnessResult
from nlcen_monai.robustness.roles import RowRole, infer_role


def image(case, attack, eps, dice, role=None):
    row = {"case_id": case, "attack": attack, "eps": eps, "dice": dice, "jaccard": dice / 2}
    return row if role is None else {**row, "role": role}


class TestRoles(unittest.TestCase):
    def test_infer_role(self):
        self.assertEqual(infer_role("check_more_iterations", {"worst_case"}), RowRole.CHECK)
        self.assertEqual(infer_role("square", {"worst_case"}, {"square"}), RowRole.CHECK)
        self.assertEqual(infer_role("worst_case", {"worst_case"}), RowRole.EVALUATED)
        self.assertEqual(infer_role("apgd_js_red", {"worst_case"}), RowRole.MEMBER)
        self.assertIsNone(infer_role("apgd_js_red"))  # no evaluated attack known: cannot be told

    def test_an_older_record_gets_its_roles_from_its_settings(self):
        settings = {"attack": {"name": "worst_case"}, "checks": {"black_box": [{"name": "square"}]}}
        result = RobustnessResult(attack="worst_case", settings=settings)
        result.add([image("a", "worst_case", 8, 0.5), image("a", "pgd", 8, 0.6), image("a", "square", 8, 0.7),
                    image("a", "check_unbounded", 255, 0.0)])
        roles = {r["attack"]: r["role"] for r in result.rows}
        self.assertEqual(roles, {"worst_case": "evaluated", "pgd": "member", "square": "check", "check_unbounded": "check"})
        bounds = {r["attack"]: r["upper_bound"] for r in result.rows}
        self.assertEqual(bounds, {"worst_case": True, "pgd": True, "square": None, "check_unbounded": None})

    def test_a_recorded_role_is_kept(self):
        # the role the evaluator wrote wins over the name: a member named like a check prefix stays a member
        result = RobustnessResult(attack="worst_case")
        result.add([image("a", "check_like_member", 8, 0.5, role="member")])
        self.assertEqual(result.rows[0]["role"], "member")
        self.assertTrue(result.rows[0]["upper_bound"])


if __name__ == "__main__":
    unittest.main()
