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
"""Build a network of the paper's comparison, and its own training loss, by name, from ``configs/networks/*.json``.

The ``_target_`` override files that the bundles stack (``configs/networks/<name>.json``: the network
as ``network_def#network``, its paper's loss as ``loss``) are the one registry of networks and
losses; this module reads the same files for Python code (scripts, benchmarks, notebooks), so the
two cannot disagree. ``get_network("unet", nlce=True)`` is the paper's "UNet with NLCE"
(Generalization section), ``get_loss("unet")`` the loss its original paper trains it with. The files
are found in the checkout or, installed, in the package data (:func:`nlcen_monai.utils.config_file`).
"""

from __future__ import annotations

from typing import Any

import torch.nn as nn
from monai.bundle import ConfigParser
from monai.utils.module import locate

from nlcen_monai.utils.configs import config_file, configs_dir

__all__ = ["NETWORK_ID", "NETWORKS", "network_names", "get_network", "get_loss"]

#: the config id of the segmentation network inside the bundles' ``PixelNormalizedNet`` (the one
#: every ``configs/networks/*.json`` sets, and :func:`nlcen_monai.compare.describe_network` reads)
NETWORK_ID = "network_def#network"


def network_names() -> list[str]:
    """The networks of the registry: every ``configs/networks/<name>.json`` without an ``_nlce`` twin suffix."""
    return sorted(p.stem for p in (configs_dir() / "networks").glob("*.json") if not p.stem.endswith("_nlce"))


def _parser(name: str, in_channels: int = 1, out_channels: int = 2) -> ConfigParser:
    """``configs/networks/<name>.json`` stacked, as on a bundle, on the settings its references name.

    The file either replaces the network component as a whole (the baselines, whose channels refer
    to ``@in_channels`` and ``@num_classes``) or sets some of its arguments (NLCEN's flags).
    """
    key = name.lower()
    if key not in network_names():
        raise ValueError(f"unknown network {name!r}; expected one of {network_names()}.")
    parser = ConfigParser({"in_channels": in_channels, "num_classes": out_channels, "network_def": {"network": {}}})
    for k, v in ConfigParser.load_config_file(str(config_file("networks", f"{key}.json"))).items():
        parser[k] = v
    return parser


def get_network(
    name: str,
    nlce: bool | None = None,
    spatial_dims: int = 2,
    in_channels: int = 1,
    out_channels: int = 2,
    **kwargs: Any,
) -> nn.Module:
    """Instantiate a network of the comparison by (case-insensitive) name, as ``configs/networks/<name>.json`` builds it.

    Args:
        name: ``"nlcen"``, ``"unet"``, ``"invertednet"``, ``"nwcn"``, ``"cdnn"`` or ``"slsdeep"``
            (:func:`network_names`).
        nlce: with or without NLCE modules; ``None`` keeps the file's choice (NLCEN: with, the
            baselines: without; ``configs/networks/<name>_nlce.json`` differ only in this flag).
        spatial_dims: number of spatial dimensions.
        in_channels: number of input channels.
        out_channels: number of output channels (classes).
        kwargs: further constructor arguments of the network class (e.g. ``backbone="resnet50"``
            for NLCEN, ``features=...`` for the baselines).
    """
    parser = _parser(name, in_channels, out_channels)
    arguments = {"spatial_dims": spatial_dims, "in_channels": in_channels, "out_channels": out_channels, **kwargs}
    for k, v in {**arguments, **({} if nlce is None else {"nlce": nlce})}.items():
        parser[f"{NETWORK_ID}#{k}"] = v
    return parser.get_parsed_content(NETWORK_ID)


def get_loss(name: str, **kwargs: Any) -> nn.Module:
    """The training loss that the network's own paper uses (the file's ``loss``), taking ``(logits, labels)``.

    Labels are ``(B, 1, *spatial)`` class indices (MONAI's convention), so each loss can be a
    ``SupervisedTrainer``'s ``loss_function``. Networks with deep supervision (NLCEN, NWCN) return
    stacked outputs in training mode, which their losses unbind. ``docs/networks.md`` lists the loss
    of each network.

    Args:
        name: a network name as in :func:`get_network`.
        kwargs: constructor arguments of the loss, overriding the file's.
    """
    parser = _parser(name)
    for k, v in kwargs.items():
        parser[f"loss#{k}"] = v
    return parser.get_parsed_content("loss")


def __getattr__(attribute: str) -> Any:
    """``NETWORKS``, ``{name: network class}``, read from the registry when it is used."""
    if attribute == "NETWORKS":
        return {n: locate(_parser(n)[f"{NETWORK_ID}#_target_"]) for n in network_names()}
    raise AttributeError(f"module {__name__!r} has no attribute {attribute!r}")
