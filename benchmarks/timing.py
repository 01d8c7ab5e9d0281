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
"""Helpers shared by the timing benchmarks ``train_step.py`` and ``attack_throughput.py``.

Not a benchmark itself: the scripts run as ``python benchmarks/<script>.py`` (Python searches a
script's own folder first) and import it as ``timing``. It holds the ``--size`` default and check,
the one-line description of the machine printed before the figures, and the rotation of the
timed configurations from round to round.
"""

from __future__ import annotations

import argparse
import platform
from typing import TypeVar

import torch

T = TypeVar("T")


def resolve_size(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Set ``args.size`` to its default (256, 128 with ``--quick``) when not given; a side that is
    not a multiple of 32 is a ``parser.error``."""
    if args.size is None:
        args.size = 128 if args.quick else 256
    if args.size % 32:
        parser.error(f"--size must be a multiple of 32, got {args.size}")


def machine_facts() -> str:
    """torch version and thread counts, the CPU model and logical CPU count, and the Python version."""
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        if names:
            cpu = f"{names[0]} x {len(names)} logical CPUs"
    except OSError:
        pass
    return (
        f"torch {torch.__version__}, {torch.get_num_threads()} threads (interop {torch.get_num_interop_threads()}), "
        f"{cpu}, Python {platform.python_version()}"
    )


def rotated(items: list[T], round_index: int) -> list[T]:
    """``items`` rotated left by ``round_index`` places (modulo their number): the order of round
    ``round_index``, so that load from other processes hits every configuration alike."""
    shift = round_index % len(items)
    return items[shift:] + items[:shift]
