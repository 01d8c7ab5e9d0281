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
"""Run one MONAI bundle workflow in this process (``ConfigWorkflow``) and read a configuration's network settings.

The runner stacks config files exactly like ``python -m monai.bundle run --config_file "[...]"``:
later files override earlier ones, and keyword overrides (``ckpt_dir``, ``epsilons``, ...) win
over every file, like ``--key value`` on the command line.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Mapping, Sequence
from typing import Any

from monai.bundle import ConfigParser, ConfigWorkflow

__all__ = ["run_bundle_workflow", "describe_network"]


def run_bundle_workflow(config_files: Sequence[str | os.PathLike], overrides: Mapping[str, Any] | None = None) -> None:
    """Initialise, run and finalise the bundle workflow given by ``config_files`` plus ``overrides``.

    The bundle's ``configs/metadata.json`` and ``configs/logging.conf`` are taken from the folder of
    the first config file, as ``monai.bundle run`` does.

    Args:
        config_files: the bundle's config (e.g. ``train.json``) followed by override files.
        overrides: ``{id: value}`` pairs (``#`` goes one level into nested keys) applied last.
    """
    workflow = ConfigWorkflow(config_file=[str(f) for f in config_files], workflow_type=None, **dict(overrides or {}))
    try:
        workflow.initialize()
        workflow.run()
        workflow.finalize()
    finally:
        del workflow
        gc.collect()


def describe_network(config_files: Sequence[str | os.PathLike], overrides: Mapping[str, Any] | None = None) -> dict:
    """The network settings of a configuration, without building anything.

    Args:
        config_files: the bundle's config followed by override files.
        overrides: ``{id: value}`` pairs applied last.

    Returns:
        ``{"network": network_name, "nlce": bool, "use_nonlocal": ..., "use_context": ...}``; the last two
        only for NLCEN (their defaults are True), None for the baselines.
    """
    parser = ConfigParser()
    parser.read_config([str(f) for f in config_files])
    parser.update(dict(overrides or {}))
    name = str(parser.get_parsed_content("network_name"))
    kwargs = parser.get_parsed_content("network_kwargs") or {}
    nlce = parser.get_parsed_content("nlce")
    info: dict[str, Any] = {"network": name, "nlce": name.lower() == "nlcen" if nlce is None else bool(nlce)}
    is_nlcen = name.lower() == "nlcen"
    info["use_nonlocal"] = bool(kwargs.get("use_nonlocal", True)) if is_nlcen else None
    info["use_context"] = bool(kwargs.get("use_context", True)) if is_nlcen else None
    return info
