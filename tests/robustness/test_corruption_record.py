"""Tests for the corruption record and its summary: round trip, order, complete units, the summary's intervals."""

from __future__ import annotations

import tempfile
import unittest
from pathlib import Path

from nlcen_monai.metrics import mean_interval
from nlcen_monai.robustness.corruption_record import CLEAN, RECORD_COLUMNS, complete_units, read_corruption_record
from nlcen_monai.robustness.corruption_record import summarise_corruptions, write_corruption_record


def row(case: str, corruption: str = CLEAN, severity: int = 0, parameter: float | None = None, dice: float = 0.9) -> dict:
    return {"case": case, "corruption": corruption, "severity": severity, "parameter": parameter, "dice": dice, "jaccard": dice / 2}


ROWS = [
    row("b", "jpeg", 2, 30.0, 0.51234567),
    row("a", "jpeg", 1, 50.0, 0.7),
    row("b", "gaussian_noise", 1, 4.0, 0.8),
    row("b"),
    row("a"),
    row("a", "gaussian_noise", 1, 4.0, 0.6),
]


class TestCorruptionRecord(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.path = Path(self.tmp.name) / "out" / "per_image.csv"

    def tearDown(self):
        self.tmp.cleanup()

    def test_round_trip_sorted_and_rounded(self):
        write_corruption_record(self.path, ROWS)
        self.assertEqual(self.path.read_text().splitlines()[0], ",".join(RECORD_COLUMNS))
        rows = read_corruption_record(self.path)
        order = [(r["corruption"], r["severity"], r["case"]) for r in rows]
        # clean first, then the table's order (gaussian_noise before jpeg), severities, cases
        expected = [(CLEAN, 0, "a"), (CLEAN, 0, "b"), ("gaussian_noise", 1, "a"), ("gaussian_noise", 1, "b")]
        self.assertEqual(order, expected + [("jpeg", 1, "a"), ("jpeg", 2, "b")])
        self.assertIsNone(rows[0]["parameter"])
        self.assertEqual(rows[-1]["parameter"], 30.0)
        self.assertEqual(rows[-1]["dice"], 0.512346)  # six decimals
        write_corruption_record(self.path.with_name("again.csv"), rows)  # a record read back writes the same file
        self.assertEqual(self.path.with_name("again.csv").read_text(), self.path.read_text())

    def test_missing_file_is_empty_and_a_bad_header_is_named(self):
        self.assertEqual(read_corruption_record(self.path), [])
        self.path.parent.mkdir(parents=True)
        self.path.write_text("case,dice\na,0.5\n")
        with self.assertRaisesRegex(ValueError, "lacks the column"):
            read_corruption_record(self.path)

    def test_complete_units_need_every_case_and_the_same_parameter(self):
        planned = {(CLEAN, 0): None, ("gaussian_noise", 1): 4.0, ("jpeg", 1): 50.0, ("jpeg", 2): 30.0}
        self.assertEqual(complete_units(ROWS, ["a", "b"], planned), {(CLEAN, 0), ("gaussian_noise", 1)})
        self.assertEqual(complete_units(ROWS, ["a"], planned), {(CLEAN, 0), ("gaussian_noise", 1), ("jpeg", 1)})
        changed = {**planned, ("gaussian_noise", 1): 5.0}  # the table changed: computed again
        self.assertEqual(complete_units(ROWS, ["a", "b"], changed), {(CLEAN, 0)})

    def test_summary_is_the_mean_interval_of_each_unit(self):
        summary = summarise_corruptions(ROWS, n_boot=500)
        units = [(r["corruption"], r["severity"]) for r in summary["rows"]]
        self.assertEqual(units, [(CLEAN, 0), ("gaussian_noise", 1), ("jpeg", 1), ("jpeg", 2)])
        noise = summary["rows"][1]
        mean, lo, hi, n = mean_interval([0.6, 0.8], n_boot=500, seed=0)
        self.assertEqual((noise["mean"], noise["lo"], noise["hi"], noise["n"]), (mean, lo, hi, n))
        self.assertEqual(noise["parameter"], 4.0)
        self.assertEqual(summarise_corruptions(ROWS, metric="jaccard", n_boot=500)["rows"][0]["mean"], 0.45)
        with self.assertRaises(ValueError):
            summarise_corruptions(ROWS, metric="hausdorff")


if __name__ == "__main__":
    unittest.main()
