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
"""The block of a markdown document that holds a generated table, between two marker lines, and how a report
command writes or checks it."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from nlcen_monai.utils.atomic import atomic_write_text

__all__ = ["add_block_options", "replace_block", "write_or_check"]


def replace_block(text: str, block: str, begin: str, end: str) -> str:
    """``text`` with what lies between the lines ``begin`` and ``end`` replaced by ``block``.

    Args:
        text: a markdown document holding each marker once, ``begin`` first.
        block: the new content (a newline is added if it lacks one).
        begin: the opening marker.
        end: the closing marker.

    Raises:
        ValueError: when a marker is missing, repeated or out of order.
    """
    if text.count(begin) != 1 or text.count(end) != 1:
        raise ValueError(f"the document must hold '{begin}' and '{end}' once each.")
    start, stop = text.index(begin) + len(begin), text.index(end)
    if stop < start:
        raise ValueError(f"'{end}' comes before '{begin}'.")
    block = block if block.endswith("\n") else block + "\n"
    return text[:start] + "\n" + block + text[stop:]


def add_block_options(parser: argparse.ArgumentParser, begin: str, end: str) -> None:
    """Add a report command's ``--write FILE`` and ``--check FILE`` (see :func:`write_or_check`)."""
    parser.add_argument("--write", metavar="FILE", help=f"replace the block between {begin} and {end} in FILE")
    parser.add_argument("--check", metavar="FILE", help="exit 1 when FILE's block differs from the table")


def write_or_check(
    table: str,
    begin: str,
    end: str,
    write: os.PathLike | str | None = None,
    check: os.PathLike | str | None = None,
    what: str = "table",
) -> int:
    """Put ``table`` between the markers of ``write`` (atomically) and/or check that ``check`` holds it there.

    Args:
        table: the generated markdown.
        begin: the opening marker.
        end: the closing marker.
        write: a document to rewrite, or None.
        check: a document to check, or None.
        what: what the table is, for the message of a failed check.

    Returns:
        0, or 1 when ``check``'s block differs from ``table`` (said on standard error).
    """
    if write:
        atomic_write_text(write, replace_block(Path(write).read_text(), table, begin, end))
    if check:
        text = Path(check).read_text()
        if replace_block(text, table, begin, end) != text:
            sys.stderr.write(f"{check}: the {what} differs from the one made from its record.\n")
            return 1
    return 0
