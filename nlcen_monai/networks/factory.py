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
"""Build a network of the paper's comparison, and its own training loss, by name.

``get_network("unet", nlce=True)`` gives the paper's "UNet with NLCE" (Generalization section);
``get_loss("unet")`` the loss its original paper trains it with. This is the Python API (scripts,
benchmarks, notebooks); the bundles do not go through it: they name the network class and its loss
by ``_target_`` in ``network_def#network`` and ``loss`` (``configs/networks/<name>.json``), and
``tests/configs/test_overrides.py`` checks that each file names the same pair as this module.
"""

from __future__ import annotations

import torch.nn as nn
from monai.losses import DiceLoss

from ..losses import LabelCrossEntropyLoss, NLCENLoss, NLLEPELoss, StackedDeepSupervisionLoss
from .nets import CDNN, NLCEN, NWCN, UNet, InvertedNet, SLSDeep

__all__ = ["NETWORKS", "get_network", "get_loss"]

#: name -> network class; all take ``spatial_dims``, ``in_channels``, ``out_channels`` and ``nlce``.
NETWORKS: dict[str, type[nn.Module]] = {
    "nlcen": NLCEN,
    "unet": UNet,
    "invertednet": InvertedNet,
    "nwcn": NWCN,
    "cdnn": CDNN,
    "slsdeep": SLSDeep,
}


def _lookup(name: str) -> str:
    key = name.lower()
    if key not in NETWORKS:
        raise ValueError(f"unknown network {name!r}; expected one of {sorted(NETWORKS)}.")
    return key


def get_network(
    name: str,
    nlce: bool | None = None,
    spatial_dims: int = 2,
    in_channels: int = 1,
    out_channels: int = 2,
    **kwargs,
) -> nn.Module:
    """Instantiate a network of the comparison by (case-insensitive) name.

    Args:
        name: ``"nlcen"``, ``"unet"``, ``"invertednet"``, ``"nwcn"``, ``"cdnn"`` or ``"slsdeep"``.
        nlce: with or without NLCE modules; ``None`` keeps the network's default (NLCEN: with,
            the baselines: without).
        spatial_dims: number of spatial dimensions.
        in_channels: number of input channels.
        out_channels: number of output channels (classes).
        kwargs: further constructor arguments of the network class (e.g. ``backbone="resnet50"``
            for NLCEN, ``features=...`` for the baselines).
    """
    cls = NETWORKS[_lookup(name)]
    if nlce is not None:
        kwargs["nlce"] = nlce
    return cls(spatial_dims=spatial_dims, in_channels=in_channels, out_channels=out_channels, **kwargs)


def get_loss(name: str, **kwargs) -> nn.Module:
    """The training loss that the network's own paper uses, taking ``(logits, labels)``.

    Labels are ``(B, 1, *spatial)`` class indices (MONAI's convention), so each loss can be a
    ``SupervisedTrainer``'s ``loss_function``. Networks with deep supervision (NLCEN, NWCN)
    return stacked outputs in training mode, which their losses unbind.

    - ``"nlcen"``: :class:`~nlcen_monai.losses.NLCENLoss` (paper Eq. 5).
    - ``"unet"``, ``"invertednet"``: pixel-wise cross entropy
      (:class:`~nlcen_monai.losses.LabelCrossEntropyLoss`).
    - ``"nwcn"``: cross entropy on each stage's output, summed
      (:class:`~nlcen_monai.losses.StackedDeepSupervisionLoss`, ``weight_mode="same"``).
    - ``"cdnn"``: Jaccard distance ``1 - sum(t p) / (sum t^2 + sum p^2 - sum(t p))`` on the
      foreground softmax probability per image (Yuan 2017): MONAI's ``DiceLoss(jaccard=True,
      squared_pred=True, softmax=True, to_onehot_y=True, include_background=False)``.
    - ``"slsdeep"``: NLL + EPE (:class:`~nlcen_monai.losses.NLLEPELoss`).

    Args:
        name: a network name as in :func:`get_network`.
        kwargs: constructor arguments of the loss, overriding the defaults above.
    """
    key = _lookup(name)
    if key == "nlcen":
        return NLCENLoss(**kwargs)
    if key in ("unet", "invertednet"):
        return LabelCrossEntropyLoss(**kwargs)
    if key == "nwcn":
        return StackedDeepSupervisionLoss(LabelCrossEntropyLoss(), **{"weight_mode": "same", **kwargs})
    if key == "cdnn":
        defaults = {
            "jaccard": True,
            "squared_pred": True,
            "softmax": True,
            "to_onehot_y": True,
            "include_background": False,
        }
        return DiceLoss(**{**defaults, **kwargs})
    return NLLEPELoss(**kwargs)
