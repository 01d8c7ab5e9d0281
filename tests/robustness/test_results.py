"""Tests for the robustness files: CSV/JSON round trip, merge, per-image table, older files, modes and clear errors."""

from __future__ import annotations

import json
import os
import stat
import tempfile
import unittest

from nlcen_monai.robustness import (
    merge_rows,
    read_per_image_csv,
    read_robustness_csv,
    read_robustness_json,
    table_rows,
    write_per_image_csv,
    write_robustness_table,
)

ROWS = [
    {"attack": "pgd", "role": "evaluated", "eps": 2.0, "dice": 0.5, "dice_low": 0.4, "dice_high": 0.6, "jaccard": 0.4,
     "n_images": 3, "passes": 12.5, "checks": "passed", "upper_bound": False},
    {"attack": "targeted_ifgsm", "role": "evaluated", "eps": 0.5, "dice": 0.9, "dice_low": 0.85, "dice_high": 0.95,
     "jaccard": 0.8, "n_images": 3, "passes": None, "checks": "", "upper_bound": True},
]
PER_IMAGE = [
    {"case_id": "JPCLN002", "attack": "worst_case", "role": "evaluated", "eps": 8.0, "dice": 0.2, "jaccard": 0.1, "source": "apgd_ce", "passes": 30.0},
    {"case_id": "JPCLN002", "attack": "apgd_ce", "role": "member", "eps": 8.0, "dice": 0.2, "jaccard": 0.1, "source": "", "passes": 20.0},
]


class TestResults(unittest.TestCase):
    def test_round_trip_and_merge(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "sub", "robustness.csv")
            json_path = os.path.join(d, "sub", "robustness.json")
            write_robustness_table(ROWS, path, json_path, extra={"verdict": "v1", "checks": {"a": 1}})
            self.assertEqual(read_robustness_csv(path), ROWS)
            new = {"attack": "pgd", "eps": 2.0000000001, "dice": 0.1, "jaccard": 0.05, "n_images": 3, "passes": 1.0, "checks": "passed"}
            merged = write_robustness_table([new], path, json_path, extra=lambda rows: {"verdict": f"{len(rows)} rows"})
            self.assertEqual(len(merged), 2)
            self.assertEqual(read_robustness_csv(path)[0]["dice"], 0.1)
            self.assertEqual(read_robustness_csv(os.path.join(d, "missing.csv")), [])
            content = read_robustness_json(json_path)
            self.assertEqual(content["rows"][0]["dice"], 0.1)
            self.assertEqual(content["verdict"], "2 rows")  # the callable sees the merged table
            self.assertEqual(content["checks"], {"a": 1})  # keys not replaced are kept
            self.assertEqual(sorted(os.listdir(os.path.join(d, "sub"))), ["robustness.csv", "robustness.json"])

    def test_files_readable_by_the_team(self):
        with tempfile.TemporaryDirectory() as d:
            old = os.umask(0o022)
            try:
                write_robustness_table(ROWS, os.path.join(d, "r.csv"), os.path.join(d, "r.json"))
                write_per_image_csv(PER_IMAGE, os.path.join(d, "p.csv"))
            finally:
                os.umask(old)
            for name in ("r.csv", "r.json", "p.csv"):
                self.assertEqual(stat.S_IMODE(os.stat(os.path.join(d, name)).st_mode), 0o644, name)

    def test_per_image_merge(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "robustness_per_image.csv")
            write_per_image_csv(PER_IMAGE, path)
            again = dict(PER_IMAGE[1], dice=0.0, jaccard=0.0)
            other = dict(PER_IMAGE[1], case_id="JPCLN004", source=None, passes=None)
            rows = write_per_image_csv([again, other], path)
            self.assertEqual(len(rows), 3)
            read = read_per_image_csv(path)
            self.assertEqual(read, rows)
            self.assertEqual([r["dice"] for r in read if r["attack"] == "apgd_ce"], [0.0, 0.2])
            self.assertEqual(read[-1]["source"], "apgd_ce")
            self.assertEqual([r["passes"] for r in read], [20.0, None, 30.0])

    def test_older_files_without_passes_and_checks(self):
        with tempfile.TemporaryDirectory() as d:
            table, per_image = os.path.join(d, "robustness.csv"), os.path.join(d, "robustness_per_image.csv")
            with open(table, "w") as f:
                f.write("attack,eps,dice,jaccard,n_images\npgd,1,0.5,0.4,2\n")
            with open(per_image, "w") as f:
                f.write("case_id,attack,eps,dice,jaccard,source\na,pgd,1,0.5,0.4,\n")
            self.assertEqual(read_robustness_csv(table), [
                {"attack": "pgd", "role": "", "eps": 1.0, "dice": 0.5, "dice_low": None, "dice_high": None, "jaccard": 0.4,
                 "n_images": 2, "passes": None, "checks": "", "upper_bound": True}])  # unchecked: an upper bound
            self.assertIsNone(read_per_image_csv(per_image)[0]["passes"])

    def test_table_rows_over_cases(self):
        per_image = [
            {"case_id": c, "attack": a, "eps": 8.0, "dice": d, "jaccard": d / 2, "source": ""}
            for c, a, d in [("a", "worst_case", 0.2), ("b", "worst_case", 0.6), ("c", "worst_case", 1.0), ("b", "pgd", 0.8)]
        ]
        rows = table_rows(per_image, ["b", "c", "z"])
        self.assertEqual([(r["attack"], r["n_images"]) for r in rows], [("pgd", 1), ("worst_case", 2)])
        self.assertAlmostEqual(rows[1]["dice"], 0.8)
        self.assertEqual((rows[1]["dice_low"], rows[1]["dice_high"]), (0.6, 1.0))  # two images: the bootstrap's extremes
        self.assertEqual((rows[0]["dice_low"], rows[0]["dice_high"]), (0.8, 0.8))  # one image: the interval is the value
        self.assertAlmostEqual(rows[1]["jaccard"], 0.4)
        self.assertIsNone(rows[1]["passes"])
        self.assertEqual(table_rows(per_image, []), [])
        self.assertEqual(table_rows(per_image)[1]["n_images"], 3)
        per_image[0]["passes"], per_image[1]["passes"] = 10.0, 20.0
        self.assertAlmostEqual(table_rows(per_image)[1]["passes"], 15.0)  # the mean over the images that have one

    def test_merge_sorted(self):
        merged = merge_rows(ROWS[::-1], [])
        self.assertEqual([r["attack"] for r in merged], ["pgd", "targeted_ifgsm"])

    def test_bad_files_name_the_file(self):
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
            with open(path, "w") as f:
                f.write("attack,eps,dice,jaccard,n_images,passes\npgd,1,0.5,0.4,2,many\n")
            with self.assertRaisesRegex(ValueError, "robustness.csv"):
                read_robustness_csv(path)
            json_path = os.path.join(d, "robustness.json")
            with open(json_path, "w") as f:
                json.dump([{"attack": "pgd"}], f)
            with self.assertRaisesRegex(ValueError, "robustness.json"):
                read_robustness_json(json_path)


if __name__ == "__main__":
    unittest.main()
