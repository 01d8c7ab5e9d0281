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
"""Names that moved to another module, still importable from their old package for one release.

A package whose names moved sets ``__getattr__ = moved_names(__name__, {"OldName": "new.module", ...})``
(PEP 562). The old spelling keeps working (``from nlcen_monai.data import DatasetWriter``, a bundle
config's ``"_target_": "nlcen_monai.workflows.MatchChanneld"``): the name is imported from its new
module on first use, with a ``FutureWarning`` that says where it lives now, and then kept in the
old package.
"""

from __future__ import annotations

import importlib
import sys
import warnings
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["moved_names"]


def moved_names(package: str, new_homes: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that resolves the names of ``new_homes`` from their new modules.

    Args:
        package: the old package's ``__name__``, for the messages.
        new_homes: ``{name: the module that defines it now}``.

    Returns:
        the function to assign to the old package's ``__getattr__``; any other name raises
        ``AttributeError`` as usual.
    """
    homes = dict(new_homes)

    def __getattr__(name: str) -> Any:
        if name not in homes:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        warnings.warn(
            f"{package}.{name} moved to {homes[name]}.{name}; the old name is an alias kept for one release.",
            FutureWarning,
            stacklevel=2,
        )
        value = getattr(importlib.import_module(homes[name]), name)
        setattr(sys.modules[package], name, value)  # found directly from now on: one warning per name
        return value

    return __getattr__
