"""Tests for finding a converter's files by name, with suffixes and folder names in any case."""

from __future__ import annotations

import tempfile
import unittest
from pathlib import Path

from nlcen_monai.prep import find_subfolder, index_folder


class TestFileIndex(unittest.TestCase):
    def test_index_folder(self):
        with tempfile.TemporaryDirectory() as tmp:
            for name in ("a.jpg", "B.JPEG", "a.png", ".hidden.jpg", "c.txt", "d_superpixels.png", "s.GIF", "v.mha", "r.img"):
                (Path(tmp) / name).write_bytes(b"")
            (Path(tmp) / "sub.jpg").mkdir()
            found, problems = index_folder(Path(tmp), (".jpg", ".jpeg"))
            self.assertEqual(sorted(found), ["B", "a"])
            self.assertEqual(problems, [])
            found, problems = index_folder(Path(tmp))  # the converters' sources: GIF and MetaImage, not JSRT raw
            self.assertEqual(sorted(found), ["B", "a", "d_superpixels", "s", "v"])
            self.assertEqual(len(problems), 1)
            self.assertIn("same name as", problems[0])
            self.assertEqual(index_folder(Path(tmp) / "missing"), ({}, []))

    def test_find_subfolder(self):
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "isbi2016_isic_part1_test_data").mkdir()
            self.assertEqual(find_subfolder(Path(tmp), "ISBI2016_ISIC_Part1_Test_Data").name, "isbi2016_isic_part1_test_data")
            self.assertIsNone(find_subfolder(Path(tmp), "ISBI2016_ISIC_Part1_Training_Data"))
            self.assertIsNone(find_subfolder(Path(tmp) / "missing", "x"))


if __name__ == "__main__":
    unittest.main()
