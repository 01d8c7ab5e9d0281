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
"""The file suffixes the bundles read, and a file's name split from its suffix, in any case (``.NII.GZ`` = ``.nii.gz``).

:data:`IMAGE_SUFFIXES` is the one list of what a bundle reads: :func:`~nlcen_monai.data.list_images`
offers these files to inference, and :func:`case_id` strips them to name an image in a results record
(the adversarial evaluation's ``case_id``, the corruption record's ``case``). The converters of
:mod:`nlcen_monai.prep` read a different set (``nlcen_monai.prep.SOURCE_SUFFIXES``) and split their
file names with the same :func:`split_name`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

__all__ = ["DICOM_SUFFIXES", "IMAGE_SUFFIXES", "case_id", "split_name"]

DICOM_SUFFIXES = (".dcm", ".dicom")
"""The suffixes :class:`~nlcen_monai.data.RadiographDicomReader` reads."""

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".nii.gz", ".nii") + DICOM_SUFFIXES + (".img",)
"""Every suffix a bundle reads: raster files, NIfTI, DICOM and JSRT's raw ``.IMG`` (lower case)."""


def split_name(path: os.PathLike | str, suffixes: Sequence[str] = IMAGE_SUFFIXES) -> tuple[str, str] | None:
    """``(stem, suffix)`` of a file whose name ends with one of ``suffixes`` in any case, else ``None``.

    The longest suffix that matches wins (``scan.nii.gz`` is ``scan`` + ``.nii.gz``, whatever the order of
    ``suffixes``); the suffix comes back as written in the name. A name that is only a suffix (``.png``)
    has no stem and gives ``None``.

    Args:
        path: a file path or name (only its last component is split).
        suffixes: lower-case suffixes, each starting with a dot.
    """
    name = os.path.basename(os.fspath(path))
    lower = name.lower()
    matches = [s for s in suffixes if lower.endswith(s) and len(lower) > len(s)]
    if not matches:
        return None
    n = len(max(matches, key=len))
    return name[:-n], name[-n:]


def case_id(path: os.PathLike | str) -> str:
    """An image's name in a results record: its file name without folder and suffix of :data:`IMAGE_SUFFIXES`.

    ``x/JPCLN001.png``, ``x/JPCLN001.PNG`` and ``JPCLN001.nii.gz`` are all ``JPCLN001``; a name without a
    suffix the bundles read is kept whole (``notes.txt``).

    Args:
        path: the image's path (or anything whose ``str`` is one, e.g. a MetaTensor's ``filename_or_obj``).
    """
    name = os.path.basename(str(path))
    parts = split_name(name)
    return name if parts is None else parts[0]
