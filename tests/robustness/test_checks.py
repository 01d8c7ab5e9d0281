"""Tests for the judging of the gradient-masking checks on results tables, per intensity."""

from __future__ import annotations

import unittest

from parameterized import parameterized

from nlcen_monai.robustness.checks import CHECK_MONOTONE
from nlcen_monai.robustness import (
    CHECK_BLACK_BOX,
    CHECK_MORE_ITERATIONS,
    CHECK_UNBOUNDED,
    GradientMaskingChecks,
    IntensityVerdict,
    intensity_verdicts,
    is_upper_bound,
    verdict,
)


def row(attack, eps, dice):
    return {"attack": attack, "eps": eps, "dice": dice, "jaccard": dice / 2, "n_images": 2}


def image(case, attack, eps, dice):
    return {"case_id": case, "attack": attack, "eps": eps, "dice": dice, "jaccard": dice / 2, "source": ""}


HEALTHY_ROWS = [
    row("worst_case", 0, 0.95), row("worst_case", 4, 0.6), row("worst_case", 8, 0.3),
    row(CHECK_UNBOUNDED, 255, 0.0),
    row(CHECK_MORE_ITERATIONS, 4, 0.595), row(CHECK_BLACK_BOX, 4, 0.6),
    row(CHECK_MORE_ITERATIONS, 8, 0.3), row(CHECK_BLACK_BOX, 8, 0.31),
]
HEALTHY_IMAGES = [
    image("a", "pgd", 4, 0.7), image("b", "pgd", 4, 0.5), image("a", "pgd", 8, 0.3), image("b", "pgd", 8, 0.3),
]

# (name, changed rows, changed images, failing check, the intensities it fails at)
FAILURES = [
    ("rises", [], [image("a", "pgd", 8, 0.9), image("b", "pgd", 8, 0.6)], "monotone", [4.0, 8.0]),
    ("unbounded", [row(CHECK_UNBOUNDED, 255, 0.2)], [], "unbounded", [4.0, 8.0]),
    ("more_iterations", [row(CHECK_MORE_ITERATIONS, 8, 0.25)], [], "more_iterations", [8.0]),
    ("black_box", [row(CHECK_BLACK_BOX, 4, 0.4)], [], "black_box", [4.0]),
]


def replace(rows, new, keys):
    index = {tuple(r[k] for k in keys): r for r in rows}
    index.update({tuple(r[k] for k in keys): r for r in new})
    return list(index.values())


def per_image(rows, images, cases=("a", "b")):
    """``images`` plus, for each table row of the evaluated attack or a check that has none, each case at the row's Dice."""
    have = {(r["attack"], r["eps"]) for r in images}
    derived = [image(c, r["attack"], r["eps"], r["dice"]) for r in rows if (r["attack"], r["eps"]) not in have for c in cases]
    return list(images) + derived


def judge(rows=HEALTHY_ROWS, images=HEALTHY_IMAGES, **kwargs):
    return GradientMaskingChecks(**kwargs).judge(rows, per_image(rows, images), "worst_case", ["pgd"])


class TestChecks(unittest.TestCase):
    def test_healthy_passes_all_at_every_intensity(self):
        checks = judge()
        self.assertTrue(all(c["passed"] for c in checks.values()), checks)
        self.assertAlmostEqual(checks["more_iterations"]["max_drop"], 0.005)
        self.assertEqual(sorted(checks["more_iterations"]["per_eps"]), ["4", "8"])
        self.assertAlmostEqual(checks["monotone"]["max_rise"], -0.3)
        verdicts = intensity_verdicts(checks, [0, 4, 8])
        self.assertEqual(sorted(verdicts), [4.0, 8.0])  # the clean score is not judged
        self.assertTrue(all(v.passed and v.status == "passed" for v in verdicts.values()))
        self.assertEqual(verdict(checks, [4, 8]), "eps 4, 8: all four gradient-masking checks passed")

    @parameterized.expand(FAILURES)
    def test_each_failure_marks_its_intensities(self, _, rows, images, failing, where):
        checks = judge(replace(HEALTHY_ROWS, rows, ("attack", "eps")), replace(HEALTHY_IMAGES, images, ("case_id", "attack", "eps")))
        self.assertEqual([n for n, c in checks.items() if c["passed"] is False], [failing])
        verdicts = intensity_verdicts(checks, [4, 8])
        self.assertEqual([e for e, v in verdicts.items() if v.failed], where)
        for eps, v in verdicts.items():
            self.assertEqual(v.status, f"failed:{failing}" if eps in where else "passed")
            self.assertEqual(v.to_dict()["upper_bound"], eps in where)
        line = verdict(checks, [4, 8])
        self.assertIn(f"FAILED ({failing}): upper bound", line)
        for eps in where:
            self.assertRegex(line, rf"eps [0-9, ]*{eps:g}[0-9, ]*: checks FAILED")

    def test_narrowed_epsilons_leave_the_other_intensities_unchecked(self):
        """Checks c and d run at every evaluated intensity by default; ``epsilons`` narrows them, the rest is unchecked."""
        self.assertEqual(GradientMaskingChecks().check_epsilons([0, 2, 4, 8, 16, 32]), [2.0, 4.0, 8.0, 16.0, 32.0])
        self.assertEqual(GradientMaskingChecks(epsilons=[8, 32, 5]).check_epsilons([2, 8, 32]), [8.0, 32.0])
        rows = [r for r in HEALTHY_ROWS if not (r["attack"].startswith("check_") and r["eps"] == 8)]
        verdicts = intensity_verdicts(judge(rows), [4, 8])
        self.assertTrue(verdicts[4.0].passed)
        self.assertEqual(verdicts[8.0], IntensityVerdict((), ("more_iterations", "black_box")))
        self.assertEqual(verdicts[8.0].status, "unchecked:more_iterations,black_box")
        self.assertIn("eps 8: checks not run (more_iterations, black_box): upper bound", verdict(judge(rows), [4, 8]))

    def test_failed_and_unchecked_together(self):
        rows = replace(HEALTHY_ROWS, [row(CHECK_UNBOUNDED, 255, 0.5)], ("attack", "eps"))
        rows = [r for r in rows if r["attack"] != CHECK_BLACK_BOX]
        verdicts = intensity_verdicts(judge(rows), [4])
        self.assertEqual(verdicts[4.0].status, "failed:unbounded unchecked:black_box")

    def test_not_run_is_an_upper_bound(self):
        checks = judge(HEALTHY_ROWS[:3])
        self.assertIsNone(checks["unbounded"]["passed"])
        self.assertEqual(intensity_verdicts(None, [2])[2.0].status, "unchecked")
        self.assertEqual(intensity_verdicts(checks, [4])[4.0].status, "unchecked:unbounded,more_iterations,black_box")
        self.assertIn("not run", verdict(checks, [4, 8]))
        self.assertIn("upper bound", verdict(None))
        self.assertNotIn("passed", verdict(checks, [4, 8]))

    def test_is_upper_bound(self):
        self.assertFalse(is_upper_bound("passed", 8))
        self.assertTrue(is_upper_bound("failed:more_iterations", 8))
        self.assertTrue(is_upper_bound("", 8))  # a table without the column: unchecked
        self.assertTrue(is_upper_bound(None, 0.5))
        self.assertFalse(is_upper_bound("", 0))  # the clean score is a measurement

    def test_older_report_without_per_eps_verdicts(self):
        checks = judge()
        for name in ("more_iterations", "black_box"):
            for entry in checks[name]["per_eps"].values():
                del entry["passed"]
        self.assertTrue(all(v.passed for v in intensity_verdicts(checks, [4, 8]).values()))

    def test_from_description_judges_as_the_recorded_settings(self):
        recorded = GradientMaskingChecks(
            epsilons=[8], unbounded_eps=128, unbounded_max_dice=0.1, factor=4, iterations_tolerance=0.06
        )
        restored = GradientMaskingChecks.from_description(recorded.describe())
        self.assertEqual(restored.describe(), recorded.describe())
        rows = [r for r in HEALTHY_ROWS if r["attack"] != CHECK_UNBOUNDED]
        rows = replace(rows, [row(CHECK_UNBOUNDED, 128, 0.08), row(CHECK_MORE_ITERATIONS, 8, 0.25)], ("attack", "eps"))
        checks = restored.judge(rows, per_image(rows, HEALTHY_IMAGES), "worst_case", ["pgd"])
        self.assertTrue(checks["unbounded"]["passed"])  # found at eps 128, under the recorded 0.1
        self.assertTrue(checks["more_iterations"]["passed"])  # a drop of 0.05 within the recorded 0.06
        defaults = judge(rows)
        self.assertIsNone(defaults["unbounded"]["passed"])  # the default eps 255 has no row
        self.assertFalse(defaults["more_iterations"]["passed"])  # 0.05 beyond the default 0.01
        self.assertEqual(GradientMaskingChecks.from_description(None).describe(), GradientMaskingChecks().describe())


class TestPairedComparison(unittest.TestCase):
    """Checks c and d compare per image, over the images both scored: a check resumed on a subset is judged there."""

    def test_check_on_a_subset_is_compared_on_that_subset(self):
        # the worst case covers 4 images (mean 0.7025); check c ran on 2 of them, both of which it lowers by 0.025:
        # comparing the means (0.7025 against 0.925, a "drop" of -0.22) would pass; paired, it fails
        worst = [image(c, "worst_case", 8, d) for c, d in zip("abcd", (0.95, 0.95, 0.46, 0.45))]
        check = [image(c, CHECK_MORE_ITERATIONS, 8, 0.925) for c in "ab"]
        rows = replace(HEALTHY_ROWS, [row("worst_case", 8, 0.7025), row(CHECK_MORE_ITERATIONS, 8, 0.925)], ("attack", "eps"))
        checks = judge(rows, HEALTHY_IMAGES + worst + check)
        at8 = checks["more_iterations"]["per_eps"]["8"]
        self.assertAlmostEqual(at8["drop"], 0.025)
        self.assertEqual((at8["n_images"], at8["subset"], at8["paired"]), (2, True, True))
        self.assertFalse(at8["passed"])
        self.assertTrue(checks["more_iterations"]["per_eps"]["4"]["passed"])

    def test_without_per_image_rows_the_means_are_reported_not_judged(self):
        checks = GradientMaskingChecks().judge(HEALTHY_ROWS, HEALTHY_IMAGES, "worst_case", ["pgd"])
        at8 = checks["more_iterations"]["per_eps"]["8"]
        self.assertEqual((at8["paired"], at8["passed"]), (False, None))
        self.assertAlmostEqual(at8["drop"], 0.0)
        self.assertIsNone(checks["more_iterations"]["passed"])
        self.assertEqual(intensity_verdicts(checks, [8])[8.0].status, "unchecked:more_iterations,black_box")


class TestIntervalRule(unittest.TestCase):
    """A check passes only when the upper end of its paired interval is within the tolerance."""

    def test_mean_drop_within_tolerance_but_interval_beyond_fails(self):
        # 10 images: check c lowers two of them by 0.04 and none of the rest: mean drop 0.008 (within 0.01),
        # but the interval's upper end is above 0.01: the figure is an upper bound
        cases = "abcdefghij"
        worst = [image(c, "worst_case", 8, 0.5) for c in cases]
        check = [image(c, CHECK_MORE_ITERATIONS, 8, 0.46 if c in "ab" else 0.5) for c in cases]
        checks = judge(images=HEALTHY_IMAGES + worst + check)
        at8 = checks["more_iterations"]["per_eps"]["8"]
        self.assertAlmostEqual(at8["drop"], 0.008)
        self.assertLessEqual(at8["drop_low"], at8["drop"])
        self.assertGreater(at8["drop_high"], 0.01)
        self.assertEqual(at8["n_images"], 10)
        self.assertFalse(at8["passed"])
        self.assertFalse(checks["more_iterations"]["passed"])
        # the same mean drop on every image: a zero-width interval, within the tolerance
        steady = [image(c, CHECK_MORE_ITERATIONS, 8, 0.492) for c in cases]
        self.assertTrue(judge(images=HEALTHY_IMAGES + worst + steady)["more_iterations"]["per_eps"]["8"]["passed"])

    def test_monotone_rise_interval(self):
        # the mean rise 0.005 is within the tolerance 0.01, but one image rising by 0.05 puts the upper end beyond it
        low = [image(c, "pgd", 4, 0.5) for c in "abcdefghij"]
        high = [image(c, "pgd", 8, 0.55 if c == "a" else 0.5) for c in "abcdefghij"]
        checks = judge(images=low + high)
        self.assertAlmostEqual(checks["monotone"]["max_rise"], 0.005)
        self.assertGreater(checks["monotone"]["max_rise_high"], 0.01)
        self.assertFalse(checks["monotone"]["passed"])

    def test_monotone_is_judged_on_the_unchained_rows_when_there_are_any(self):
        # the chained worst case never rises; its unchained check-a rows do: check a fails on them
        unchained = [image(c, CHECK_MONOTONE, 4, 0.5) for c in "ab"] + [image(c, CHECK_MONOTONE, 8, 0.7) for c in "ab"]
        checks = judge(images=HEALTHY_IMAGES + unchained)
        self.assertEqual(checks["monotone"]["attacks"], [CHECK_MONOTONE])
        self.assertFalse(checks["monotone"]["passed"])
        self.assertAlmostEqual(checks["monotone"]["max_rise"], 0.2)
        self.assertTrue(judge()["monotone"]["passed"])

    def test_sample_is_a_fixed_draw_per_case_id(self):
        checks = GradientMaskingChecks(sample=0.25, sample_seed=3)
        ids = [f"case{i}" for i in range(2000)]
        chosen = [c for c in ids if checks.in_sample(c)]
        self.assertAlmostEqual(len(chosen) / len(ids), 0.25, delta=0.03)
        self.assertEqual(chosen, [c for c in ids if GradientMaskingChecks(sample=0.25, sample_seed=3).in_sample(c)])
        self.assertNotEqual(chosen, [c for c in ids if GradientMaskingChecks(sample=0.25, sample_seed=4).in_sample(c)])
        self.assertTrue(all(GradientMaskingChecks().in_sample(c) for c in ids[:50]))
        restored = GradientMaskingChecks.from_description(checks.describe())
        self.assertEqual((restored.sample, restored.sample_seed), (0.25, 3))
        for bad in (0.0, 1.5):
            with self.assertRaises(ValueError):
                GradientMaskingChecks(sample=bad)

    def test_confidence_is_recorded_and_checked(self):
        self.assertEqual(GradientMaskingChecks.from_description(GradientMaskingChecks(confidence=0.9).describe()).confidence, 0.9)
        with self.assertRaises(ValueError):
            GradientMaskingChecks(confidence=1.0)


if __name__ == "__main__":
    unittest.main()
