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
"""The layout of the result documents: BENCHMARKS.md is a short reference of current results with a contents
list at the top, and what it no longer holds lives in dated files under ``docs/history/`` that it links."""

from __future__ import annotations

import re
import unittest
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BENCHMARKS = REPO / "BENCHMARKS.md"
HISTORY = REPO / "docs" / "history"
MAX_LINES = 400
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def anchor(heading: str) -> str:
    """GitHub's anchor of a markdown heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def headings(text: str) -> set[str]:
    """The anchors of the headings of a markdown text (outside code blocks)."""
    found, fenced = set(), False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and line.startswith("#"):
            found.add(anchor(line.lstrip("#")))
    return found


def contents_links(text: str) -> list[str]:
    """The links of the list under ``## Contents``."""
    section = text.split("\n## Contents\n", 1)[1].split("\n## ", 1)[0]
    return [m.group(1) for line in section.splitlines() if line.startswith("- ") for m in LINK.finditer(line)]


def local_links(path: Path) -> list[tuple[Path, str]]:
    """``(file, anchor)`` of every link of ``path`` to a file of the repository (anchor "" when none)."""
    found = []
    for target in LINK.findall(path.read_text()):
        if re.match(r"[a-z]+:", target):
            continue
        file, _, fragment = target.partition("#")
        found.append(((path.parent / file).resolve() if file else path, fragment))
    return found


class TestBenchmarksLayout(unittest.TestCase):
    def test_short(self):
        self.assertLessEqual(len(BENCHMARKS.read_text().splitlines()), MAX_LINES)

    def test_contents_at_top_resolve_to_headings(self):
        text = BENCHMARKS.read_text()
        first = [line for line in text.splitlines() if line.startswith("## ")][0]
        self.assertEqual(first, "## Contents")
        links = contents_links(text)
        sections = [line[3:] for line in text.splitlines() if line.startswith("## ") and line != "## Contents"]
        self.assertEqual(links, [f"#{anchor(s)}" for s in sections])  # every section, in order
        for link in links:
            self.assertIn(link[1:], headings(text), link)

    def test_history_files_linked_and_present(self):
        linked = {file for file, _ in local_links(BENCHMARKS) if HISTORY in file.parents}
        self.assertTrue(linked)
        for file in linked:
            self.assertTrue(file.is_file(), file)
        self.assertEqual(linked, set(HISTORY.glob("*.md")))  # no history file left unlinked

    def test_history_names_are_dated(self):
        for file in HISTORY.glob("*.md"):
            self.assertRegex(file.name, r"^\d{4}-\d{2}-[a-z0-9-]+\.md$")

    def test_links_of_the_result_documents_resolve(self):
        for doc in [BENCHMARKS, REPO / "README.md", *HISTORY.glob("*.md")]:
            for file, fragment in local_links(doc):
                self.assertTrue(file.exists(), f"{doc.name}: {file}")
                if fragment and file.suffix == ".md":
                    self.assertIn(fragment, headings(file.read_text()), f"{doc.name}: {file.name}#{fragment}")


if __name__ == "__main__":
    unittest.main()
