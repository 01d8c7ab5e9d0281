"""Tests for the robustness table: CSV/JSON round trip, merge, atomic writes and clear errors."""

from __future__ import annotations

import json
import os
import tempfile
import unittest

from nlcen_monai.visualize import done_epsilons, merge_rows, read_robustness_csv, write_robustness_table

ROWS = [
    {"attack": "pgd", "eps": 2.0, "dice": 0.5, "jaccard": 0.4, "n_images": 3},
    {"attack": "targeted_ifgsm", "eps": 0.5, "dice": 0.9, "jaccard": 0.8, "n_images": 3},
]


class TestTable(unittest.TestCase):
    def test_round_trip_and_merge(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "sub", "robustness.csv")
            write_robustness_table(ROWS, path, os.path.join(d, "sub", "robustness.json"))
            self.assertEqual(read_robustness_csv(path), ROWS)
            new = {"attack": "pgd", "eps": 2.0000000001, "dice": 0.1, "jaccard": 0.05, "n_images": 3}
            merged = write_robustness_table([new], path)
            self.assertEqual(len(merged), 2)
            self.assertEqual(read_robustness_csv(path)[0]["dice"], 0.1)
            self.assertEqual(done_epsilons(path, "targeted_ifgsm"), [0.5])
            self.assertEqual(done_epsilons(os.path.join(d, "missing.csv"), "pgd"), [])
            with open(os.path.join(d, "sub", "robustness.json")) as f:
                self.assertEqual(json.load(f), ROWS)
            self.assertEqual(sorted(os.listdir(os.path.join(d, "sub"))), ["robustness.csv", "robustness.json"])

    def test_merge_sorted(self):
        merged = merge_rows(ROWS[::-1], [])
        self.assertEqual([r["attack"] for r in merged], ["pgd", "targeted_ifgsm"])

    def test_bad_csv_names_the_file(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "robustness.csv")
            with open(path, "w") as f:
                f.write("attack,eps,dice\npgd,1,0.5\n")
            with self.assertRaisesRegex(ValueError, "robustness.csv"):
                read_robustness_csv(path)
            with open(path, "w") as f:
                f.write("attack,eps,dice,jaccard,n_images\npgd,one,0.5,0.4,2\n")
            with self.assertRaisesRegex(ValueError, "robustness.csv"):
                read_robustness_csv(path)


if __name__ == "__main__":
    unittest.main()
