"""The quality-flags table: made from its per-image record, and the model card quotes the committed record's."""

from __future__ import annotations

import subprocess
import sys

from nlcen_monai.reports.quality_flags_table import BEGIN_MARKER, END_MARKER, main, quality_flags_table
from tests.bundles.bundle_utils import REPO

RECORD = REPO / "results" / "nlcen_jsrt" / "0.5.0" / "quality_flags.csv"
CARD = REPO / "bundles" / "nlcen_jsrt" / "docs" / "README.md"


def test_table_counts_flags_and_low_masks(tmp_path):
    record = tmp_path / "q.csv"
    record.write_text(
        "case,condition,dice,quality\n"
        "a,clean,0.95,ok\nb,clean,0.70,check: components 1 < 2\nc,clean,0.90,check: uncertain_fraction 0.7 > 0.5\n"
        "a,dark,0.60,ok\n"
    )
    lines = quality_flags_table(record).splitlines()
    assert lines[2].startswith("| clean | 0.850 [") and "(n 3) | 2 | 1, 1 flagged | 0.800 [0.700, 0.900] (n 2) |" in lines[2]
    assert lines[2].endswith("| 0.950 [0.950, 0.950] (n 1) |")
    assert lines[3] == "| dark | 0.600 [0.600, 0.600] (n 1) | 0 | 1, 0 flagged | (none) | 0.600 [0.600, 0.600] (n 1) |"
    card = tmp_path / "card.md"
    card.write_text(f"a\n{BEGIN_MARKER}\n{END_MARKER}\nb\n")
    assert main([str(record), "--check", str(card)]) == 1
    assert main([str(record), "--write", str(card)]) == 0 and main([str(record), "--check", str(card)]) == 0


def test_the_model_card_quotes_the_committed_record():
    result = subprocess.run([sys.executable, "-m", "nlcen_monai.reports.quality_flags_table", str(RECORD), "--check", str(CARD)],
                            capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert "| clean | " in CARD.read_text()
