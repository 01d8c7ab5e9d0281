"""Every package's ``__init__.py`` opens with its docstring (what the package is), not licence text."""

from __future__ import annotations

import ast
import unittest
from pathlib import Path

from parameterized import parameterized

PACKAGE = Path(__file__).resolve().parents[1] / "nlcen_monai"
INITS = sorted(PACKAGE.rglob("__init__.py"))


class TestPackageDocstrings(unittest.TestCase):
    @parameterized.expand([(str(p.relative_to(PACKAGE.parent)), p) for p in INITS])
    def test_first_line_is_the_docstring(self, _, path):
        text = path.read_text()
        self.assertTrue(text.startswith('"""'), f"{path} starts with {text.splitlines()[0]!r}")
        self.assertTrue(ast.get_docstring(ast.parse(text)))


if __name__ == "__main__":
    unittest.main()
