"""Tests for DatasetWriter's output-folder checks and the removal of an earlier run's files."""

from __future__ import annotations

import tempfile
import unittest
from pathlib import Path

import numpy as np

from nlcen_monai.data import BadInputError
from nlcen_monai.prep import DatasetWriter

IMAGE, MASK = np.full((8, 8), 50, np.uint8), np.eye(8, dtype=bool)


class TestOutputFolder(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.root = Path(self._tmp.name)

    def tearDown(self):
        self._tmp.cleanup()

    def test_new_and_own_folders_accepted(self):
        writer = DatasetWriter(self.root / "new" / "out", size=4)
        writer.check_out_dir()
        writer.prepare()
        writer.write_case("training", "a", IMAGE, MASK)
        writer.write_datalist()
        DatasetWriter(self.root / "new" / "out").check_out_dir()  # a converter's output: a rerun may replace it

    def test_refused(self):
        (self.root / "file").write_text("x")
        with self.assertRaisesRegex(BadInputError, "file: the output folder is an existing file"):
            DatasetWriter(self.root / "file").check_out_dir()
        with self.assertRaisesRegex(BadInputError, "lies under .*file, which is an existing file"):
            DatasetWriter(self.root / "file" / "sub").check_out_dir()
        (self.root / "a").mkdir()
        (self.root / "a" / "masks").write_text("x")
        with self.assertRaisesRegex(BadInputError, "masks: expected a folder in the output folder, found a file"):
            DatasetWriter(self.root / "a").check_out_dir()
        (self.root / "b" / "images").mkdir(parents=True)
        (self.root / "b" / "images" / "mine.png").write_bytes(b"")
        with self.assertRaisesRegex(BadInputError, "hold 1 file.* but there is no datalist.json"):
            DatasetWriter(self.root / "b").check_out_dir()

    def test_remove_unlisted(self):
        out = self.root / "out"
        first = DatasetWriter(out, size=4)
        for name in ("a", "b"):
            first.write_case("training", name, IMAGE, MASK)
        first.write_datalist()
        (out / "masks" / ".b.png.123.tmp").write_bytes(b"")  # left by a killed run
        (out / "images" / "keep_me").mkdir()  # folders are never touched
        second = DatasetWriter(out, size=4)
        second.write_case("test", "a", IMAGE, MASK)
        second.write_datalist()
        removed = second.remove_unlisted()
        self.assertEqual(sorted(p.name for p in removed), [".b.png.123.tmp", "b.png", "b.png"])
        self.assertEqual(sorted(p.name for p in (out / "images").iterdir()), ["a.png", "keep_me"])
        self.assertEqual(sorted(p.name for p in (out / "masks").iterdir()), ["a.png"])


if __name__ == "__main__":
    unittest.main()
