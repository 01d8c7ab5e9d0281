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
"""The loop shared by the converters: convert every case, keep going past bad ones.

A converter lists its cases (name, split and a loader that reads and checks the source files),
plus any problems found while pairing files (e.g. a mask without an image). :func:`run_conversion`
checks the output folder once, writes the good cases and the datalist, removes what an earlier run
left in the output folder that the new datalist does not list, prints a summary, the changes its
:class:`~nlcen_monai.prep.pair_reader.PairReader` made and the bad cases, and returns the exit status
(0 only when nothing was wrong).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from nlcen_monai.data.checks import BadInputError
from nlcen_monai.prep.dataset_writer import DATALIST_NAME, DatasetWriter
from nlcen_monai.prep.pair_reader import PairReader

__all__ = ["Case", "ConversionResult", "run_conversion", "fail"]


@dataclass
class Case:
    """One image/mask pair to convert.

    Args:
        name: output file stem.
        split: ``"training"`` or ``"test"``.
        load: returns ``(image, mask)``: uint8 (H, W) or (H, W, 3), and a boolean mask; raises
            :class:`~nlcen_monai.data.checks.BadInputError` naming the file when it cannot.
    """

    name: str
    split: str
    load: Callable[[], tuple[np.ndarray, np.ndarray]]


@dataclass
class ConversionResult:
    """What :func:`run_conversion` did: the datalist written (if any), counts, problems and notes."""

    datalist: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        """0 when every case was converted, 1 otherwise."""
        return 1 if self.problems or self.datalist is None else 0


def run_conversion(
    cases: Sequence[Case],
    writer: DatasetWriter,
    problems: Sequence[str] = (),
    extra: dict | None = None,
    verbose: bool = True,
    source: str = "the input",
    reader: PairReader | None = None,
) -> ConversionResult:
    """Convert ``cases`` with ``writer``, collecting bad ones, then write the datalist.

    The output folder is checked first (:meth:`~nlcen_monai.prep.dataset_writer.DatasetWriter.check_out_dir`):
    if it cannot be used, that is the only problem reported and nothing is written. The datalist lists the
    good cases even when some were bad (the exit status says so); it is not written at all when there
    is no good case. After it is written, files of ``images/`` and ``masks/`` that it does not list are
    deleted (outputs of an earlier run).

    Args:
        cases: the cases to convert.
        writer: where and at which size to write them.
        problems: problems already found while listing the cases (each names its file).
        extra: additional top-level datalist keys.
        verbose: print progress and the summary.
        source: the input folder(s), named when no case is found.
        reader: the reader the cases load with; its report and provenance go to the summary and datalist.
    """
    start = time.perf_counter()
    result = ConversionResult(problems=list(problems))
    try:
        writer.check_out_dir()
        if cases:
            writer.prepare()
    except BadInputError as e:
        return _finish(ConversionResult(problems=[str(e)]), start, verbose)

    for i, case in enumerate(cases, 1):
        try:
            image, mask = case.load()
            writer.write_case(case.split, case.name, image, mask)
        except BadInputError as e:
            result.problems.append(str(e))
        except Exception as e:  # anything else is still reported against its case, not fatal
            result.problems.append(f"{case.name}: {type(e).__name__}: {e}")
        if verbose and (i % 50 == 0 or i == len(cases)):
            print(f"  {i}/{len(cases)} cases processed", flush=True)
    result.counts = {split: len(entries) for split, entries in writer.entries.items()} if cases else {}
    result.notes = reader.report() if reader is not None else []
    if not cases:
        result.problems.append(f"{source}: no image/mask pairs found (empty folder, or files not named as expected?).")
    elif sum(result.counts.values()) == 0:
        result.problems.append(f"{writer.out_dir}: every case failed; {DATALIST_NAME} not written.")
    else:
        provenance = reader.provenance() if reader is not None else {}
        result.datalist = str(writer.write_datalist({**provenance, **(extra or {})}))
        result.removed = [str(p) for p in writer.remove_unlisted()]
    return _finish(result, start, verbose)


def _finish(result: ConversionResult, start: float, verbose: bool) -> ConversionResult:
    result.seconds = time.perf_counter() - start
    if verbose:
        _print_summary(result)
    return result


def fail(message: str) -> ConversionResult:
    """Print ``error: message`` and return the result of a conversion that could not start.

    Args:
        message: what is wrong, naming the file, folder or option.
    """
    print(f"error: {message}", file=sys.stderr)
    return ConversionResult(problems=[message])


def _print_summary(result: ConversionResult) -> None:
    if result.counts:
        counts = ", ".join(f"{n} {split}" for split, n in result.counts.items())
        print(f"wrote {counts} in {result.seconds:.1f} s" + (f"; datalist: {result.datalist}" if result.datalist else ""))
    if result.removed:
        print(f"removed {len(result.removed)} file(s) of an earlier run that the new datalist does not list:")
        for p in result.removed:
            print(f"  {p}")
    for line in result.notes:
        print(line)
    if result.problems:
        print(f"{len(result.problems)} problem(s):", file=sys.stderr)
        for p in result.problems:
            print(f"  - {p}", file=sys.stderr)
