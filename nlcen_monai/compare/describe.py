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
"""A configuration's network settings, read from its ``network_def#network`` config without building anything.

The bundles name their network by ``_target_`` (``configs/networks/*.json`` swap it), so the
network class and its ``nlce`` / ``use_nonlocal`` / ``use_context`` flags are in the config
itself; a flag the config leaves out takes the class's default.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Mapping, Sequence
from typing import Any

from monai.bundle import ConfigComponent, ConfigParser
from monai.utils.module import locate

from nlcen_monai.networks.factory import NETWORK_ID

__all__ = ["describe_network"]

_FLAGS = ("nlce", "use_nonlocal", "use_context")


def describe_network(config_files: Sequence[str | os.PathLike], overrides: Mapping[str, Any] | None = None) -> dict:
    """The network settings of a configuration.

    Args:
        config_files: the bundle's config followed by override files.
        overrides: ``{id: value}`` pairs applied last.

    Returns:
        ``{"network": class name in lower case, "nlce": ..., "use_nonlocal": ..., "use_context": ...}``;
        a flag the network class does not take (``use_*`` for the baselines) is None.

    Raises:
        ValueError: when the config has no ``network_def#network`` component with a ``_target_``.
    """
    parser = ConfigParser()
    parser.read_config([str(f) for f in config_files])
    parser.update(dict(overrides or {}))
    if NETWORK_ID not in parser or not ConfigComponent.is_instantiable(parser[NETWORK_ID]):
        raise ValueError(f"{list(config_files)}: '{NETWORK_ID}' is not a component with a '_target_'.")
    component = parser.get_parsed_content(NETWORK_ID, instantiate=False)  # references resolved, nothing built
    config, cls = component.get_config(), locate(component.resolve_module_name())
    defaults = {n: p.default for n, p in inspect.signature(cls).parameters.items() if p.default is not p.empty}
    info: dict[str, Any] = {"network": cls.__name__.lower()}
    for flag in _FLAGS:
        value = config.get(flag, defaults.get(flag))
        info[flag] = None if value is None else bool(value)
    return info
