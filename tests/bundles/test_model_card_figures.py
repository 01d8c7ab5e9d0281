# Copyright (c) nlcen-monai contributors
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#     http://www.apache.org/licenses/LICENSE-2.0
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.
"""The JSRT model card's robustness table and distance from the targets, the README's headline, BENCHMARKS.md's
table and the bundle's ``eval_metrics`` are the committed reporting record's, as ``python -m nlcen_monai.reports.release_figures`` makes
them: a typed or stale number fails here."""

from __future__ import annotations

import contextlib
import io
import os
import re
import unittest

from nlcen_monai.reports.release_figures import main
from nlcen_monai.robustness import ResultFiles, RobustnessResult

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CARD = os.path.join(REPO, "bundles", "nlcen_jsrt", "docs", "README.md")
README = os.path.join(REPO, "README.md")
BENCHMARKS = os.path.join(REPO, "BENCHMARKS.md")
METADATA = os.path.join(REPO, "bundles", "nlcen_jsrt", "configs", "metadata.json")
# the project's targets, as the card states them
TARGETS = '{"0": 0.95, "8": 0.90, "32": 0.80}'
# the record the card quotes: the released model's checked evaluation on the reporting images, REPORTING_RECORD
# of benchmarks/released_records.sh (configs/attacks/budget_js_eps100_450.json)
RECORD = os.path.join(REPO, "results", "nlcen_jsrt", "0.5.1", "reporting_js_eps100_450")


class TestModelCardFigures(unittest.TestCase):
    def test_the_card_readme_and_metadata_quote_the_committed_record(self):
        documents = ["--card", CARD, "--readme", README, "--metadata", METADATA, "--targets", TARGETS]
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as err:
            status = main([RECORD, *documents, "--check"])
        self.assertEqual(status, 0, err.getvalue())

    def test_benchmarks_quotes_the_committed_record(self):
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as err:
            status = main([RECORD, "--card", BENCHMARKS, "--block", "release-reporting", "--check"])
        self.assertEqual(status, 0, err.getvalue())

    def test_the_scripts_resume_and_compare_with_the_same_records(self):
        """release_evaluation.sh and gpu_campaign.sh take the release's records and budget from
        benchmarks/released_records.sh alone; the card quotes the record they keep (REPORTING_RECORD) as soon as it is
        complete, and until then the complete record before it, under the same RELEASE_RESULTS."""
        with open(os.path.join(REPO, "benchmarks", "released_records.sh")) as f:
            text = f.read()
        defaults = dict(re.findall(r"(?m)^(\w+)=\$\{\1:-([^}]+)\}$", text))
        self.assertEqual(sorted(defaults), ["RELEASE_RESULTS", "REPORTING_BUDGET", "REPORTING_RECORD"])
        results = defaults["RELEASE_RESULTS"]
        kept = os.path.join(REPO, defaults["REPORTING_RECORD"].replace("$RELEASE_RESULTS", results))
        self.assertTrue(os.path.isfile(os.path.join(REPO, defaults["REPORTING_BUDGET"])), defaults["REPORTING_BUDGET"])
        self.assertEqual(os.path.dirname(RECORD), os.path.join(REPO, results))
        self.assertTrue(RobustnessResult.load(ResultFiles.in_dir(RECORD)).complete, RECORD)
        if RobustnessResult.load(ResultFiles.in_dir(kept)).complete:  # a missing record is not complete
            self.assertEqual(RECORD, kept, "the release's reporting record is complete: generate the card from it")
        for script in ("release_evaluation.sh", "gpu_campaign.sh"):
            with open(os.path.join(REPO, "benchmarks", script)) as f:
                text = f.read()
            self.assertRegex(text, r"(?m)^source benchmarks/released_records\.sh\b", script)
            self.assertNotRegex(text, r"(?m)^(RELEASE_RESULTS|REPORTING_RECORD|REPORTING_BUDGET)=", script)

if __name__ == "__main__":
    unittest.main()
