"""Every package's ``__init__.py`` opens with its docstring (what the package is), not licence text; every
module says what it does, in words that stand on their own (no citation of a document outside the repository)."""

from __future__ import annotations

import ast
import unittest
from pathlib import Path

from parameterized import parameterized

PACKAGE = Path(__file__).resolve().parents[1] / "nlcen_monai"
INITS = sorted(PACKAGE.rglob("__init__.py"))
MODULES = sorted(PACKAGE.rglob("*.py"))


def docstrings(tree: ast.AST) -> list[str]:
    """The docstrings of a module and of every class and function in it."""
    nodes = [n for n in ast.walk(tree) if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))]
    return [d for d in map(ast.get_docstring, nodes) if d]


class TestPackageDocstrings(unittest.TestCase):
    @parameterized.expand([(str(p.relative_to(PACKAGE.parent)), p) for p in INITS])
    def test_first_line_is_the_docstring(self, _, path):
        text = path.read_text()
        self.assertTrue(text.startswith('"""'), f"{path} starts with {text.splitlines()[0]!r}")
        self.assertTrue(ast.get_docstring(ast.parse(text)))

    @parameterized.expand([(str(p.relative_to(PACKAGE.parent)), p) for p in MODULES])
    def test_module_docstring_stands_on_its_own(self, _, path):
        tree = ast.parse(path.read_text())
        self.assertTrue(ast.get_docstring(tree), f"{path} has no docstring saying what it does")
        cited = [d.splitlines()[0] for d in docstrings(tree) if "DESIGN" in d]
        self.assertEqual(cited, [], f"{path}: docstrings cite a design document that is not in the repository")


if __name__ == "__main__":
    unittest.main()
