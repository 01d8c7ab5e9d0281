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
"""The package's one atomic file writer: a temporary file in the destination folder, then ``os.replace``.

A crash or a kill while writing leaves either the old file or no file, never a half-written one, so
an interrupted conversion or evaluation can simply be run again. The standard library has the two
pieces but no helper that joins them. Every file is left with the permissions a plain ``open()``
would give it (``0666 & ~umask``, i.e. 0644 under the usual umask 022), so results are readable by
the rest of a team; ``mkstemp`` alone would leave them at 0600. Datasets, robustness tables,
figures and CSVs are all written here.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import numpy as np
from PIL import Image

__all__ = ["atomic_write", "atomic_write_text", "atomic_write_json", "atomic_write_png"]


def _file_mode() -> int:
    """The permissions a plain ``open()`` would give a new file (mkstemp makes it 0600)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write(path: os.PathLike | str, write: Callable[[IO[bytes]], Any]) -> Path:
    """Write ``path`` by calling ``write(binary_file)`` on a temporary file, then renaming it.

    Args:
        path: destination file; its folder is created if needed.
        write: callable that writes the whole content to the open binary file it is given.

    Returns:
        the destination path.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _file_mode())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return path


def atomic_write_text(path: os.PathLike | str, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically, byte for byte (no newline translation).

    Args:
        path: destination file; its folder is created if needed.
        text: the whole content.
        encoding: text encoding.
    """
    data = text.encode(encoding)
    return atomic_write(path, lambda f: f.write(data))


def atomic_write_png(path: os.PathLike | str, array: np.ndarray, compress_level: int = 1) -> Path:
    """Write a uint8 array, (H, W) grey or (H, W, 3) RGB, as a PNG file, atomically.

    Args:
        path: destination ``.png`` file.
        array: uint8 pixels, rows first (PIL's convention).
        compress_level: zlib level 0..9; 1 encodes several times faster than PIL's default 6 for
            files a few percent larger.
    """
    if array.dtype != np.uint8:
        raise TypeError(f"{path}: expected uint8 pixels, got {array.dtype}.")
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG", compress_level=compress_level)
    return atomic_write(path, lambda f: f.write(buffer.getvalue()))


def atomic_write_json(path: os.PathLike | str, obj: Any) -> Path:
    """Write ``obj`` as indented JSON, atomically.

    Args:
        path: destination ``.json`` file.
        obj: any JSON-serialisable object.
    """
    return atomic_write_text(path, json.dumps(obj, indent=2) + "\n")
