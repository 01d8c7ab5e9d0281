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
"""Read every input of an inference run once, before the network: a bad file is named and skipped, never fatal.

A folder of radiographs from a clinic holds the odd truncated JPEG, an empty export or a volume that is
not a radiograph. :class:`ScreenedImages` runs the bundle's preprocessing on each file before the run,
keeps the items that came through (ready for the network, at its input size) and, for each that did
not, logs one line naming the file and the reason. The run then segments every good image,
``predictions.csv`` lists the bad ones with their reason (``status`` column), and
:meth:`ScreenedImages.raise_if_failed` ends the run with a non-zero exit status.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

__all__ = ["STATUS_OK", "ImagesFailedError", "ScreenedImages", "failure_reason"]

logger = logging.getLogger(__name__)

STATUS_OK = "ok"
"""The ``status`` of an image that was segmented."""


class ImagesFailedError(SystemExit):
    """Some inputs could not be segmented; a ``SystemExit`` so that ``python -m monai.bundle run`` ends with
    this message alone and exit status 1 (MONAI wraps any other exception of a config expression)."""

    def __str__(self) -> str:
        return str(self.code)


def failure_reason(error: BaseException, source: str = "") -> str:
    """One line saying why a file failed: the innermost cause of ``error`` (MONAI wraps a transform's
    error in ``RuntimeError`` s), without a leading file name that the caller prints anyway.

    Args:
        error: the exception raised while reading or preprocessing the file.
        source: the file, stripped from the start of the message when the message begins with it.
    """
    while error.__cause__ is not None or (error.__context__ is not None and not error.__suppress_context__):
        error = error.__cause__ or error.__context__
    message = (str(error).strip().splitlines() or [""])[0]
    if source and message.startswith(f"{source}: "):
        return message[len(source) + 2 :]
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


class ScreenedImages:
    """The items of ``datalist`` through ``transform``, with the files that failed set apart.

    The transform runs once per file, when the object is made (lazily in a bundle config: when the
    dataset is first used, after the settings checks). Items are kept in memory at the network's input
    size (64 KiB per 128 x 128 grey image).

    Args:
        datalist: ``[{key: path}, ...]`` as :func:`~nlcen_monai.data.list_images` gives.
        transform: the bundle's preprocessing (loading included).
        key: the key holding each file's path.
    """

    def __init__(self, datalist: Sequence[dict], transform: Callable[[dict], dict], key: str = "image") -> None:
        self.key = key
        self.total = len(datalist)
        self.items: list[dict] = []
        self.failures: list[dict] = []
        for item in datalist:
            try:
                self.items.append(transform(item))
            except Exception as e:  # readers and transforms raise many types for a bad file
                source = str(item[key])
                reason = failure_reason(e, source)
                logger.error("%s: %s", source, reason)
                self.failures.append({key: source, "status": f"failed: {reason}"})

    def raise_if_failed(self) -> None:
        """End the run with exit status 1 when any file failed (after the good ones were segmented).

        Raises:
            ImagesFailedError: naming each failed file and its reason.
        """
        if self.failures:
            names = "; ".join(f"{row[self.key]} ({row['status'][len('failed: '):]})" for row in self.failures)
            raise ImagesFailedError(
                f"{len(self.failures)} of {self.total} images could not be segmented (their rows in "
                f"predictions.csv say so too): {names}"
            )
