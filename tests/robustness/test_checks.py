"""Tests for the judging of the gradient-masking checks on results tables."""

from __future__ import annotations

import unittest

from parameterized import parameterized

from nlcen_monai.robustness import CHECK_BLACK_BOX, CHECK_MORE_ITERATIONS, CHECK_UNBOUNDED, GradientMaskingChecks, verdict


def row(attack, eps, dice):
    return {"attack": attack, "eps": eps, "dice": dice, "jaccard": dice / 2, "n_images": 2}


def image(case, attack, eps, dice):
    return {"case_id": case, "attack": attack, "eps": eps, "dice": dice, "jaccard": dice / 2, "source": ""}


HEALTHY_ROWS = [
    row("worst_case", 0, 0.95), row("worst_case", 4, 0.6), row("worst_case", 8, 0.3),
    row(CHECK_UNBOUNDED, 255, 0.0), row(CHECK_MORE_ITERATIONS, 4, 0.595), row(CHECK_BLACK_BOX, 4, 0.6),
]
HEALTHY_IMAGES = [
    image("a", "pgd", 4, 0.7), image("b", "pgd", 4, 0.5), image("a", "pgd", 8, 0.3), image("b", "pgd", 8, 0.3),
]

# (name, changed rows, changed images, failing check)
FAILURES = [
    ("rises", [], [image("a", "pgd", 8, 0.9), image("b", "pgd", 8, 0.6)], "monotone"),
    ("unbounded", [row(CHECK_UNBOUNDED, 255, 0.2)], [], "unbounded"),
    ("more_iterations", [row(CHECK_MORE_ITERATIONS, 4, 0.55)], [], "more_iterations"),
    ("black_box", [row(CHECK_BLACK_BOX, 4, 0.4)], [], "black_box"),
]


def replace(rows, new, keys):
    index = {tuple(r[k] for k in keys): r for r in rows}
    index.update({tuple(r[k] for k in keys): r for r in new})
    return list(index.values())


class TestChecks(unittest.TestCase):
    def test_healthy_passes_all(self):
        checks = GradientMaskingChecks().judge(HEALTHY_ROWS, HEALTHY_IMAGES, "worst_case", ["pgd"])
        self.assertTrue(all(c["passed"] for c in checks.values()), checks)
        self.assertAlmostEqual(checks["more_iterations"]["max_drop"], 0.005)
        self.assertAlmostEqual(checks["monotone"]["max_rise"], -0.3)
        self.assertEqual(verdict(checks), "all four gradient-masking checks passed")

    @parameterized.expand(FAILURES)
    def test_each_failure(self, _, rows, images, failing):
        checks = GradientMaskingChecks().judge(
            replace(HEALTHY_ROWS, rows, ("attack", "eps")), replace(HEALTHY_IMAGES, images, ("case_id", "attack", "eps")),
            "worst_case", ["pgd"],
        )
        self.assertEqual([n for n, c in checks.items() if c["passed"] is False], [failing])
        self.assertIn("FAILED", verdict(checks))
        self.assertIn(failing, verdict(checks))
        self.assertNotIn("passed", verdict(checks))

    def test_not_run_is_not_robust(self):
        checks = GradientMaskingChecks().judge(HEALTHY_ROWS[:3], HEALTHY_IMAGES, "worst_case", ["pgd"])
        self.assertIsNone(checks["unbounded"]["passed"])
        self.assertIn("not run", verdict(checks))
        self.assertIn("not run", verdict(None))

    def test_check_epsilons(self):
        self.assertEqual(GradientMaskingChecks().check_epsilons([0, 2, 4, 8, 16, 32]), [8.0])
        self.assertEqual(GradientMaskingChecks().check_epsilons([2, 4, 8, 16]), [4.0])
        self.assertEqual(GradientMaskingChecks(epsilons=[8, 32, 5]).check_epsilons([2, 8, 32]), [8.0, 32.0])


if __name__ == "__main__":
    unittest.main()
