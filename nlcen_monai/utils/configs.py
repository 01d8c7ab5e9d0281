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
"""Where the shared override files are (``configs/networks``, ``configs/ablation``, ...), installed or not.

The repository keeps them in ``configs/``, beside the package, where the command lines stack them on
a bundle; ``setup.py`` installs the same files as the package data ``nlcen_monai/configs/``. Code
that reads them (the network registry, the ablation protocol) asks :func:`config_file`, which finds
them either way, so the package does not depend on being run from a checkout.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["configs_dir", "config_file"]

_PACKAGE = Path(__file__).resolve().parents[1]


def configs_dir() -> Path:
    """The folder of the shared override files: ``nlcen_monai/configs`` when installed, else the checkout's ``configs/``.

    Raises:
        FileNotFoundError: neither holds ``networks/`` (a broken installation).
    """
    candidates = (_PACKAGE / "configs", _PACKAGE.parent / "configs")
    for candidate in candidates:
        if (candidate / "networks").is_dir():
            return candidate
    raise FileNotFoundError(f"no shared configs (networks/, ablation/, ...) in {' or '.join(map(str, candidates))}.")


def config_file(*parts: str) -> Path:
    """One shared override file, e.g. ``config_file("networks", "unet.json")``.

    Args:
        parts: its path under the shared configs folder.

    Raises:
        FileNotFoundError: naming the file when it does not exist.
    """
    path = configs_dir().joinpath(*parts)
    if not path.is_file():
        raise FileNotFoundError(f"shared config '{path}' does not exist.")
    return path
