"""Tests for the corruption table generator, and that the model card quotes the table of the committed record."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import unittest
from contextlib import redirect_stderr, redirect_stdout
from io import StringIO
from pathlib import Path

from nlcen_monai.reports.corruption_table import BEGIN_MARKER, END_MARKER, format_corruption_table, record_table, replace_block
from nlcen_monai.reports.corruption_table import main
from nlcen_monai.robustness import CLEAN, read_corruption_record, summarise_corruptions, write_corruption_record

REPO = Path(__file__).resolve().parents[2]
RECORD_DIR = REPO / "results" / "nlcen_jsrt" / "0.4.4" / "corruptions"
MODEL_CARD = REPO / "bundles" / "nlcen_jsrt" / "docs" / "README.md"


def rows() -> list[dict]:
    """Three images, clean and two severities of two corruptions (one image missing from jpeg 2)."""
    out = []
    for i, case in enumerate("abc"):
        base = 0.9 + 0.01 * i
        out.append({"case": case, "corruption": CLEAN, "severity": 0, "parameter": None, "dice": base, "jaccard": base})
        for s, value in ((1, 4.0), (2, 8.0)):
            out.append({"case": case, "corruption": "gaussian_noise", "severity": s, "parameter": value,
                        "dice": base - 0.1 * s, "jaccard": base})
        for s, value in ((1, 50.0), (2, 30.0)):
            if (case, s) != ("c", 2):
                out.append({"case": case, "corruption": "jpeg", "severity": s, "parameter": value,
                            "dice": base - 0.01 * s, "jaccard": base})
    return out


class TestCorruptionTable(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = Path(self.tmp.name)
        write_corruption_record(self.dir / "per_image.csv", rows())

    def tearDown(self):
        self.tmp.cleanup()

    def test_rows_are_corruptions_columns_severities_cells_mean_and_interval(self):
        summary = summarise_corruptions(rows(), n_boot=200)
        lines = format_corruption_table(summary).splitlines()
        self.assertIn("n = 3 test images", lines[0])
        self.assertTrue(lines[2].endswith("| 0 | 1 | 2 |"))
        noise, jpeg = lines[4], lines[5]
        self.assertTrue(noise.startswith("| gaussian_noise: noise standard deviation (grey levels) = 4, 8 |"))
        clean = summary["rows"][0]
        cells = noise.strip("|").split("|")[1:]
        self.assertEqual(cells[0].strip(), f"{clean['mean']:.3f} [{clean['lo']:.3f}, {clean['hi']:.3f}]")
        self.assertTrue(cells[2].strip().startswith("0.710 ["))
        self.assertTrue(jpeg.endswith("(n = 2) |"))  # a cell over fewer images says so

    def test_record_table_uses_the_summarys_bootstrap_settings(self):
        (self.dir / "summary.json").write_text(json.dumps({"confidence": 0.5, "n_boot": 100, "seed": 1}))
        table = record_table(self.dir)
        self.assertIn("50 % bootstrap interval", table)
        self.assertEqual(table, format_corruption_table(summarise_corruptions(rows(), confidence=0.5, n_boot=100, seed=1)))
        with self.assertRaises(FileNotFoundError):
            record_table(self.dir / "nowhere")

    def test_replace_block_keeps_the_rest_of_the_document(self):
        text = f"# Card\n\nbefore\n\n{BEGIN_MARKER}\nold\n{END_MARKER}\n\nafter\n"
        new = replace_block(text, "| table |")
        self.assertEqual(new, f"# Card\n\nbefore\n\n{BEGIN_MARKER}\n| table |\n{END_MARKER}\n\nafter\n")
        self.assertEqual(replace_block(new, "| table |\n"), new)
        for bad in ("no markers", f"{END_MARKER}\n{BEGIN_MARKER}", f"{BEGIN_MARKER}{BEGIN_MARKER}{END_MARKER}"):
            with self.assertRaises(ValueError):
                replace_block(bad, "x")

    def test_command_line_prints_writes_and_checks(self):
        card = self.dir / "card.md"
        card.write_text(f"text\n{BEGIN_MARKER}\n{END_MARKER}\nmore\n")
        with redirect_stdout(StringIO()), redirect_stderr(StringIO()) as err:
            self.assertEqual(main([str(self.dir), "--check", str(card)]), 1)
            self.assertIn("differs", err.getvalue())
            self.assertEqual(main([str(self.dir), "--write", str(card)]), 0)
            self.assertEqual(main([str(self.dir), "--check", str(card)]), 0)
        self.assertIn(record_table(self.dir), card.read_text())
        self.assertTrue(card.read_text().endswith(f"{END_MARKER}\nmore\n"))

    def test_runs_as_a_module(self):
        out = subprocess.run([sys.executable, "-W", "error::RuntimeWarning", "-m", "nlcen_monai.reports.corruption_table",
                              str(self.dir)], capture_output=True, text=True, cwd=REPO, check=True)
        self.assertEqual(out.stdout, record_table(self.dir))


class TestModelCardTable(unittest.TestCase):
    def test_figure_is_drawn_from_the_committed_record(self):
        with tempfile.TemporaryDirectory() as tmp, redirect_stdout(StringIO()):
            self.assertEqual(main([str(RECORD_DIR), "--figure", f"{tmp}/curves.png"]), 0)
            self.assertEqual(Path(f"{tmp}/curves.png").read_bytes()[:8], b"\x89PNG\r\n\x1a\n")

    def test_the_model_card_quotes_the_table_of_the_committed_record(self):
        """Regenerate with: python -m nlcen_monai.reports.corruption_table RECORD_DIR --write MODEL_CARD."""
        self.assertTrue((RECORD_DIR / "per_image.csv").is_file(), f"{RECORD_DIR} holds no record")
        text = MODEL_CARD.read_text()
        self.assertEqual(replace_block(text, record_table(RECORD_DIR)), text,
                         f"the corruption table of {MODEL_CARD} differs from the one made from {RECORD_DIR}")

    def test_the_committed_summary_is_the_records(self):
        summary = json.loads((RECORD_DIR / "summary.json").read_text())
        rows = read_corruption_record(RECORD_DIR / "per_image.csv")
        settings = {k: summary[k] for k in ("confidence", "n_boot", "seed")}
        self.assertEqual(summarise_corruptions(rows, **settings), summary)


if __name__ == "__main__":
    unittest.main()
