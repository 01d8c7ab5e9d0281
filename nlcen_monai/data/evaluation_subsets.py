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
"""The test images that make decisions and the test images that report figures, kept apart.

A figure measured on the images that chose the model (which run, which checkpoint, which attack
budget) is optimistic by the choice. Every decision of this project is therefore made on a fixed
*selection* subset of the test list (every ninth image, from the first: 14 of the 123 JSRT test
images) and the validation cases; the published figures are measured on the *reporting* subset, the
other test images, which chose nothing (109 of 123 on JSRT).

In a bundle command::

    --test_list "\\$nlcen_monai.data.evaluation_subset(@dataset_dir, 'reporting')"
"""

from __future__ import annotations

import os
from typing import Any

from .datalists import load_datalist

__all__ = ["SELECTION_EVERY", "SUBSETS", "evaluation_subset", "split_test_list"]

#: every how many test images one belongs to the selection subset (the first, the tenth, ...)
SELECTION_EVERY = 9
#: the subsets :func:`evaluation_subset` knows
SUBSETS = ("selection", "reporting", "all")


def split_test_list(test: list[Any], every: int = SELECTION_EVERY) -> tuple[list[Any], list[Any]]:
    """The selection (every ``every``-th item, from the first) and reporting (all the others) parts of a test list.

    Args:
        test: the test list, in the datalist's order.
        every: the selection's stride.

    Returns:
        ``(selection, reporting)``; together they are ``test``, and no item is in both.

    Raises:
        ValueError: when ``every`` is less than 2 (the reporting subset would be empty).
    """
    if int(every) < 2:
        raise ValueError(f"every must be >= 2 so that some images report figures, got {every}.")
    selection = [item for i, item in enumerate(test) if i % int(every) == 0]
    reporting = [item for i, item in enumerate(test) if i % int(every) != 0]
    return selection, reporting


def evaluation_subset(
    dataset_dir: str | os.PathLike, subset: str, key: str = "test", every: int = SELECTION_EVERY
) -> list[dict]:
    """The ``subset`` of a converted dataset's test list: ``"selection"``, ``"reporting"`` or ``"all"``.

    Args:
        dataset_dir: a folder with ``datalist.json`` (as the converters write it).
        subset: which part of the test list.
        key: the datalist key of the test list.
        every: the selection's stride (:data:`SELECTION_EVERY`).

    Raises:
        ValueError: when ``subset`` is not one of :data:`SUBSETS`.
    """
    if subset not in SUBSETS:
        raise ValueError(f"subset must be one of {SUBSETS}, got '{subset}'.")
    test = load_datalist(dataset_dir, key)
    if subset == "all":
        return test
    selection, reporting = split_test_list(test, every)
    return selection if subset == "selection" else reporting
