"""Tests for the package's one atomic writer: whole files or none, readable by the team (0666 & ~umask)."""

from __future__ import annotations

import os
import tempfile
import unittest
from pathlib import Path
from unittest import mock

import numpy as np
from matplotlib.figure import Figure
from parameterized import parameterized
from PIL import Image

from nlcen_monai.utils.atomic import atomic_write, atomic_write_json, atomic_write_png, atomic_write_text
from nlcen_monai.visualize import save_figure

# (name, writer taking a path) for every kind of file the package writes
WRITERS = [
    ("bytes", lambda p: atomic_write(p, lambda f: f.write(b"abc"))),
    ("text", lambda p: atomic_write_text(p, "a,b\n1,2\n")),
    ("json", lambda p: atomic_write_json(p, {"a": 1})),
    ("png", lambda p: atomic_write_png(p, np.zeros((2, 3), np.uint8))),
    ("figure", lambda p: save_figure(Figure(figsize=(1, 1)), p)),
]


class TestAtomicWrite(unittest.TestCase):
    @parameterized.expand([(n, w, u) for n, w in WRITERS for u in (0o022, 0o002, 0o077)])
    def test_mode_follows_umask(self, _, write, umask):
        old = os.umask(umask)
        try:
            with tempfile.TemporaryDirectory() as tmp:
                path = write(Path(tmp) / "sub" / "out")
                self.assertEqual(path.stat().st_mode & 0o777, 0o666 & ~umask)  # 0644 under the usual 022
                self.assertEqual(os.listdir(path.parent), ["out"])  # no temporary file left
        finally:
            os.umask(old)

    def test_text_is_written_byte_for_byte(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = atomic_write_text(Path(tmp) / "t.csv", "a,b\r\n1,é\n")
            self.assertEqual(path.read_bytes(), "a,b\r\n1,é\n".encode("utf-8"))

    def test_crash_keeps_old_file(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = atomic_write_text(Path(tmp) / "t.txt", "old")
            with mock.patch("os.fsync", side_effect=OSError("disk died")), self.assertRaises(OSError):
                atomic_write_text(path, "new")
            self.assertEqual(path.read_text(), "old")
            self.assertEqual(os.listdir(tmp), ["t.txt"])


class TestAtomicWriteFiles(unittest.TestCase):
    def test_writes(self):
        with tempfile.TemporaryDirectory() as tmp:
            png = atomic_write_png(Path(tmp) / "sub" / "x.png", np.full((3, 4), 9, np.uint8))
            np.testing.assert_array_equal(np.asarray(Image.open(png)), np.full((3, 4), 9))
            self.assertEqual(png.stat().st_mode & 0o777 & 0o044, 0o044)  # readable like a normal file
            atomic_write_json(Path(tmp) / "d.json", {"a": 1})
            self.assertEqual((Path(tmp) / "d.json").read_text().strip(), '{\n  "a": 1\n}')

    def test_crash_keeps_old_file_and_leaves_no_temp(self):
        with tempfile.TemporaryDirectory() as tmp:
            target = Path(tmp) / "d.json"
            atomic_write_json(target, {"old": True})
            with mock.patch("os.fsync", side_effect=OSError("disk died")), self.assertRaises(OSError):
                atomic_write_json(target, {"new": True})
            self.assertEqual(target.read_text().strip(), '{\n  "old": true\n}')
            self.assertEqual(sorted(p.name for p in Path(tmp).iterdir()), ["d.json"])

    def test_rejects_non_uint8(self):
        with tempfile.TemporaryDirectory() as tmp, self.assertRaises(TypeError):
            atomic_write_png(Path(tmp) / "x.png", np.zeros((2, 2), np.float32))


if __name__ == "__main__":
    unittest.main()
