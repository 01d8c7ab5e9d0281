"""docs/architecture.md names only what exists: every module path, dotted name and repository file in its code.

The page's inline code and code blocks are scanned for ``nlcen_monai/...`` paths and files under the
repository's top-level folders (``bundles/``, ``configs/``, ...), which must exist (``<name>`` is a
placeholder that matches any one path segment), and for dotted names ``nlcen_monai.x.y``, which must
resolve: the longest importable module, then ``getattr`` for the rest.
"""

from __future__ import annotations

import importlib
import re
import unittest
from pathlib import Path

from parameterized import parameterized

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "architecture.md"
FOLDERS = ("nlcen_monai", "bundles", "configs", "data_prep", "benchmarks", "results", "tests", "docs")

FENCED = re.compile(r"^```[^\n]*\n(.*?)^```", re.S | re.M)
INLINE = re.compile(r"`([^`\n]+)`")
PATH = re.compile(r"(?<![\w/.<>*-])((?:" + "|".join(FOLDERS) + r")/[\w<>.*/-]*)")
DOTTED = re.compile(r"(?<![\w.])nlcen_monai(?:\.[A-Za-z_]\w*)+")
PLACEHOLDER = re.compile(r"<[^<>/]+>")


def code_spans(text: str) -> list[str]:
    """The text of every code block and inline code span."""
    blocks = FENCED.findall(text)
    return blocks + INLINE.findall(FENCED.sub("", text))


def named(pattern: re.Pattern, text: str) -> list[str]:
    """Every distinct match of ``pattern`` in the page's code, in order, without trailing punctuation."""
    found = (m.rstrip(".,;:)") for span in code_spans(text) for m in pattern.findall(span))
    return list(dict.fromkeys(found))


def path_exists(name: str) -> bool:
    """Whether the repository holds ``name`` (a file or folder; ``<x>`` and ``*`` match one segment's text)."""
    pattern = PLACEHOLDER.sub("*", name).rstrip("/")
    if "*" in pattern:
        return any(True for _ in ROOT.glob(pattern))
    return (ROOT / pattern).exists()


def resolve(dotted: str) -> object:
    """The module or attribute ``dotted`` names; raises ImportError or AttributeError when there is none."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError as e:
            if e.name is None or not ".".join(parts[:cut]).startswith(e.name):
                raise  # the module exists but fails to import something else
            continue
        for attribute in parts[cut:]:
            obj = getattr(obj, attribute)
        return obj
    raise ImportError(f"no module in {dotted}")


TEXT = DOC.read_text(encoding="utf-8")
PATHS = named(PATH, TEXT)
DOTTED_NAMES = named(DOTTED, TEXT)


class TestArchitectureDoc(unittest.TestCase):
    def test_the_page_names_enough_to_check(self):
        # guards the regexes: a page whose names all slipped past them would pass trivially
        self.assertGreater(len(PATHS), 40, PATHS)
        self.assertGreater(len(DOTTED_NAMES), 25, DOTTED_NAMES)

    @parameterized.expand([(p,) for p in PATHS])
    def test_path_exists(self, name):
        self.assertTrue(path_exists(name), f"docs/architecture.md names '{name}', which does not exist")

    @parameterized.expand([(n,) for n in DOTTED_NAMES])
    def test_dotted_name_resolves(self, name):
        try:
            resolve(name)
        except (ImportError, AttributeError) as e:
            self.fail(f"docs/architecture.md names '{name}', which does not resolve: {e}")


if __name__ == "__main__":
    unittest.main()
