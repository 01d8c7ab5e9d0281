"""Tests for data_prep/synthetic.py and the ``--help`` of every converter."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

from parameterized import parameterized

from tests.data_prep.prep_utils import REPO, load_script

synthetic = load_script("synthetic")


class TestSyntheticScript(unittest.TestCase):
    @parameterized.expand([("chest",), ("lesion",)])
    def test_writes_dataset(self, kind):
        with tempfile.TemporaryDirectory() as tmp:
            argv = ["--out", tmp, "--kind", kind, "--num-train", "3", "--num-test", "2", "--size", "32", "--seed", "1"]
            self.assertEqual(synthetic.main(argv), 0)
            content = json.loads((Path(tmp) / "datalist.json").read_text())
            self.assertEqual((len(content["training"]), len(content["test"])), (3, 2))
            self.assertEqual(content["synthetic"]["kind"], kind)

    def test_rejects_no_cases(self):
        with tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stderr(io.StringIO()):
            self.assertEqual(synthetic.main(["--out", tmp, "--num-train", "0", "--num-test", "0"]), 1)


class TestHelp(unittest.TestCase):
    @parameterized.expand([("jsrt", "--png-dir"), ("isbi2016", "--isbi-dir"), ("folder", "--mask-suffix"), ("synthetic", "--kind")])
    def test_help_in_process(self, name, option):
        out = io.StringIO()
        with contextlib.redirect_stdout(out), self.assertRaises(SystemExit) as ctx:
            load_script(name).main(["--help"])
        self.assertEqual(ctx.exception.code, 0)
        self.assertIn(option, out.getvalue())

    def test_help_as_script(self):
        """``python data_prep/jsrt.py --help`` works from the repository root (a real subprocess)."""
        done = subprocess.run(
            [sys.executable, "data_prep/jsrt.py", "--help"], cwd=REPO, capture_output=True, text=True, timeout=120
        )
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("--jsrt-dir", done.stdout)


if __name__ == "__main__":
    unittest.main()
