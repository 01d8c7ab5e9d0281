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
"""The JSRT model card's robustness table on the reporting images is the committed record's, as
``python -m nlcen_monai.reports.release_figures`` makes it: a typed or stale number fails here."""

from __future__ import annotations

import contextlib
import io
import os
import unittest

from nlcen_monai.reports.release_figures import main

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CARD = os.path.join(REPO, "bundles", "nlcen_jsrt", "docs", "README.md")
# the record the card quotes: the released model's checked evaluation on the reporting images
RECORD = os.path.join(REPO, "results", "nlcen_jsrt", "0.5.1", "reporting")


class TestModelCardFigures(unittest.TestCase):
    def test_the_card_quotes_the_committed_record(self):
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as err:
            status = main([RECORD, "--card", CARD, "--check"])
        self.assertEqual(status, 0, err.getvalue())


if __name__ == "__main__":
    unittest.main()
