"""Tests for the results store: derived table, per-intensity status, metrics, save/load, merging and journals."""

from __future__ import annotations

import json
import os
import tempfile
import unittest

from nlcen_monai.robustness import (
    CHECK_BLACK_BOX,
    CHECK_MORE_ITERATIONS,
    GradientMaskingChecks,
    ResultFiles,
    RobustnessResult,
    read_robustness_csv,
    write_robustness_table,
)


def image(case, attack, eps, dice, passes=None, source=""):
    return {"case_id": case, "attack": attack, "eps": eps, "dice": dice, "jaccard": dice / 2, "source": source, "passes": passes}


ROWS = [
    image("a", "worst_case", 0, 1.0, 0.0), image("b", "worst_case", 0, 0.8, 0.0),
    image("a", "worst_case", 8, 0.4, 30.0, "pgd"), image("b", "worst_case", 8, 0.2, 10.0, "clean"),
    image("a", "pgd", 8, 0.4, 20.0),
    image("a", CHECK_MORE_ITERATIONS, 8, 0.4, 60.0), image("b", CHECK_MORE_ITERATIONS, 8, 0.1, 60.0),
]


def result(rows=ROWS, **counters) -> RobustnessResult:
    r = RobustnessResult(attack="worst_case", settings={"attack": {"name": "worst_case"}})
    r.add(rows, **counters)
    return r


class TestRobustnessResult(unittest.TestCase):
    def test_table_is_derived_from_the_images(self):
        r = result()
        rows = {(row["attack"], row["eps"]): row for row in r.rows}
        self.assertEqual(sorted(rows), [("check_more_iterations", 8.0), ("pgd", 8.0), ("worst_case", 0.0), ("worst_case", 8.0)])
        self.assertAlmostEqual(rows[("worst_case", 8.0)]["dice"], 0.3)
        self.assertAlmostEqual(rows[("worst_case", 8.0)]["jaccard"], 0.15)
        self.assertEqual(rows[("worst_case", 8.0)]["n_images"], 2)
        self.assertEqual(rows[("worst_case", 8.0)]["passes"], 20.0)
        self.assertEqual(rows[("pgd", 8.0)]["n_images"], 1)
        self.assertEqual([rows[k]["checks"] for k in sorted(rows)], ["", "unchecked", "", "unchecked"])
        self.assertEqual(r.epsilons, [8.0])
        self.assertTrue(r.has("pgd", 8.0000000001, "a") and not r.has("pgd", 8, "b"))

    def test_checks_give_each_intensity_its_status(self):
        r = result()
        r.checks = GradientMaskingChecks().judge(r.rows, r.per_image, "worst_case", ["pgd"])
        self.assertEqual(r.checks["more_iterations"]["per_eps"]["8"]["passed"], False)  # 0.3 -> 0.25
        status = {(row["attack"], row["eps"]): row["checks"] for row in r.rows}
        self.assertEqual(status[("worst_case", 8.0)], "failed:more_iterations unchecked:monotone,unbounded,black_box")
        self.assertIn("eps 8: checks FAILED (more_iterations)", r.verdict)
        self.assertEqual(r.report()["intensities"]["8"]["upper_bound"], True)

    def test_metrics_are_named_with_metric_keys(self):
        metrics = result().metrics()
        self.assertAlmostEqual(metrics["dice_eps8"], 0.3)
        self.assertAlmostEqual(metrics["jaccard_eps0"], 0.45)
        self.assertAlmostEqual(metrics["dice_pgd_eps8"], 0.4)
        self.assertIn("dice_check_more_iterations_eps8", metrics)
        self.assertEqual(sorted(result().metrics(["pgd"])), ["dice_pgd_eps8", "jaccard_pgd_eps8"])

    def test_adding_and_merging(self):
        r = result(ROWS[:3], run=10, seconds=1.5)
        r.add([image("a", "worst_case", 0, 0.5)], run=5)  # the same image again: the new row wins
        self.assertEqual(len(r.images), 3)
        self.assertEqual(r.images[("worst_case", 0.0, "a")]["dice"], 0.5)
        self.assertEqual(r.passes, {"run": 15.0, "saved": 0.0, "seconds": 1.5})
        with self.assertRaisesRegex(ValueError, "counter"):
            r.add([], passes=1)
        other = result(ROWS[3:], run=1, saved=2)
        merged = r.merged(other)
        self.assertEqual(len(merged.images), len(ROWS))
        self.assertEqual(merged.passes, {"run": 16.0, "saved": 2.0, "seconds": 1.5})
        self.assertEqual(len(r.images), 3)  # merged() leaves both alone
        copy = r.copy()
        copy.add(ROWS[3:4], run=1)
        self.assertEqual((len(r.images), r.passes["run"]), (3, 15.0))
        self.assertEqual(RobustnessResult.from_dict(json.loads(json.dumps(merged.to_dict()))), merged)

    def test_recorded_passes_are_the_rows_behind_the_figures(self):
        rows = ROWS + [
            image("a", "square", 8, 0.5, 1000.0), image("a", CHECK_BLACK_BOX, 8, 0.5, 1000.0),  # check d includes square
            image("c", "worst_case", 8, 0.3),  # no passes recorded: counts 0
        ]
        r = result(rows, run=1100.0 + 120.0 + 40.0)
        # the worst case's rows (30 + 10, its member pgd's 20 inside), check c's (60 + 60), check d's (1000)
        self.assertEqual(r.recorded_passes, 40.0 + 120.0 + 1000.0)
        # a record merged into a copy of itself: its counters doubled, its rows and their passes not
        twice = r.merged(r.copy())
        self.assertEqual(twice.passes["run"], 2 * r.passes["run"])
        self.assertEqual(twice.recorded_passes, r.recorded_passes)

    def test_save_and_load(self):
        with tempfile.TemporaryDirectory() as d:
            files = ResultFiles.in_dir(d)
            self.assertEqual(RobustnessResult.load(files), RobustnessResult())
            r = result(run=100, saved=20, seconds=3.0)
            r.complete = True
            r.save(files)
            self.assertEqual(sorted(os.listdir(d)), ["robustness.csv", "robustness.json", "robustness_per_image.csv"])
            loaded = RobustnessResult.load(files)
            self.assertEqual(loaded, r)
            self.assertEqual(loaded.rows, r.rows)
            self.assertEqual(read_robustness_csv(files.csv), r.rows)
            self.assertEqual(RobustnessResult.load(ResultFiles.of_table(files.csv)), r)

    def test_a_table_without_per_image_rows_is_kept(self):
        with tempfile.TemporaryDirectory() as d:
            legacy = {"attack": "ifgsm", "eps": 4.0, "dice": 0.5, "jaccard": 0.3, "n_images": 7}
            write_robustness_table([legacy], os.path.join(d, "robustness.csv"))
            files = ResultFiles.in_dir(d)
            loaded = RobustnessResult.load(files)
            self.assertEqual(loaded.images, {})
            loaded.attack = "worst_case"
            loaded.add(ROWS)
            loaded.save(files)
            rows = {(row["attack"], row["eps"]): row for row in RobustnessResult.load(files).rows}
            self.assertEqual(rows[("ifgsm", 4.0)]["n_images"], 7)
            self.assertEqual(rows[("worst_case", 8.0)]["n_images"], 2)

    def test_journals_of_an_unfinished_multi_process_run(self):
        with tempfile.TemporaryDirectory() as d:
            files = ResultFiles.in_dir(d)
            result(ROWS[:2], run=1).save(files)
            self.assertEqual(files.journal(1).per_image.name, "robustness_per_image.rank1.csv")
            self.assertEqual(files.journal(1).json.name, "robustness.rank1.json")
            self.assertIsNone(files.journal(1).csv)
            result(ROWS[2:4], run=2).save(files.journal(0))
            result(ROWS[4:], run=4).save(files.journal(1))
            self.assertEqual(len(files.journals()), 2)
            loaded = RobustnessResult.load(files)
            self.assertEqual(len(loaded.images), len(ROWS))
            self.assertEqual(loaded.passes["run"], 7.0)
            self.assertEqual(len(RobustnessResult.load(files, journals=False).images), 2)
            for journal in files.journals():
                journal.remove()
            self.assertEqual(sorted(os.listdir(d)), ["robustness.csv", "robustness.json", "robustness_per_image.csv"])

    def test_a_journal_already_in_the_main_files_is_not_counted_twice(self):
        with tempfile.TemporaryDirectory() as d:
            files = ResultFiles.in_dir(d)
            result(ROWS[:2], run=1).save(files)
            result(ROWS[2:4], run=2).save(files.journal(0))
            result(ROWS[4:], run=4).save(files.journal(1))
            whole = RobustnessResult.load(files)
            whole.save(files)  # the main files now hold both journals, which were left behind
            again = RobustnessResult.load(files)
            self.assertEqual(again.passes["run"], 7.0)
            self.assertEqual(again, whole)
            # a journal with one row the main files lack is another run's: merged, its counters added
            result(ROWS[4:] + [image("c", "worst_case", 8, 0.3, 5.0)], run=9).save(files.journal(1))
            self.assertEqual(RobustnessResult.load(files).passes["run"], 7.0 + 9.0)


if __name__ == "__main__":
    unittest.main()
