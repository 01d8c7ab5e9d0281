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
"""What the report commands share on their command line: the parser and the ``NAME=DIR`` arguments."""

from __future__ import annotations

import argparse
from collections.abc import Iterable

__all__ = ["report_parser", "named_folders"]


def report_parser(module: str, doc: str) -> argparse.ArgumentParser:
    """The parser of ``python -m <module>``, with the module's docstring as its help (kept as written).

    Args:
        module: the report module's ``__name__``.
        doc: its docstring.
    """
    return argparse.ArgumentParser(prog=f"python -m {module}", description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)


def named_folders(parser: argparse.ArgumentParser, items: Iterable[str], form: str = "NAME=DIR") -> dict[str, str]:
    """``{name: folder}`` of ``NAME=DIR`` arguments, in order (a name given twice keeps its last folder).

    Args:
        parser: the command's parser, which exits with a usage error on an item without ``=``.
        items: the arguments.
        form: how the usage error spells an item.
    """
    named = {}
    for item in items:
        name, sep, folder = item.partition("=")
        if not sep:
            parser.error(f"expected {form}, got {item!r}")
        named[name] = folder
    return named
