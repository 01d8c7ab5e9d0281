"""Tests for the selection and reporting subsets of a test list."""

from __future__ import annotations

import json
import os
import tempfile
import unittest

from nlcen_monai.data.evaluation_subsets import evaluation_subset, split_test_list


class TestEvaluationSubsets(unittest.TestCase):
    def test_jsrt_sizes_and_disjoint(self):
        test = [f"case{i:03d}" for i in range(123)]
        selection, reporting = split_test_list(test)
        self.assertEqual((len(selection), len(reporting)), (14, 109))
        self.assertEqual(selection, test[::9])  # the every-ninth images the campaign decided on
        self.assertFalse(set(selection) & set(reporting))
        self.assertEqual(sorted(selection + reporting), test)

    def test_from_a_datalist(self):
        with tempfile.TemporaryDirectory() as tmp:
            items = [{"image": f"images/c{i}.png", "label": f"masks/c{i}.png"} for i in range(20)]
            with open(os.path.join(tmp, "datalist.json"), "w") as f:
                json.dump({"training": items[:2], "test": items}, f)
            names = {s: [os.path.basename(d["image"]) for d in evaluation_subset(tmp, s)] for s in ("selection", "reporting", "all")}
        self.assertEqual(names["selection"], ["c0.png", "c9.png", "c18.png"])
        self.assertEqual(len(names["reporting"]), 17)
        self.assertEqual(len(names["all"]), 20)

    def test_bad_arguments(self):
        with self.assertRaises(ValueError):
            split_test_list([1, 2, 3], every=1)
        with self.assertRaisesRegex(ValueError, "subset must be one of"):
            evaluation_subset(".", "validation")


if __name__ == "__main__":
    unittest.main()
