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
"""Initialise a network from a checkpoint and freeze parameters by name prefix (the paper's ablation protocol).

The paper trains NLCEN "w/o NLCE" first, then fine-tunes "w/o NL", "w/o CE" and NLCEN with the
w/o-NLCE layers frozen, and finally fine-tunes NLCEN with nothing frozen. The w/o-NLCE network
has exactly the parameter names of NLCEN minus ``nlce.*``, so the checkpoint is loaded
non-strictly (missing NLCE keys are logged) and "freeze the w/o-NLCE layers" is
``freeze_except_prefixes=["network.nlce."]`` inside ``PixelNormalizedNet``.

Freezing sets ``requires_grad=False``; the bundles' optimizers only take parameters that require
gradients. BatchNorm running statistics of frozen layers still update in training mode, as with
any ``requires_grad``-based freezing in PyTorch.

Bundle configs use :func:`instantiate_and_freeze` by swapping ``network_def``'s ``_target_``
(see ``configs/ablation/finetune_frozen.json``), which keeps the bundle's own wrapper arguments.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn as nn
from monai.utils import instantiate

__all__ = ["load_init_checkpoint", "freeze_by_prefix", "load_and_freeze", "instantiate_and_freeze"]

logger = logging.getLogger(__name__)


def _state_dict_of(checkpoint: Any, path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """The model state dict inside a checkpoint file's content.

    Ignite's ``Checkpoint`` saves one object's state dict directly (``model.pt``) and several objects
    as ``{"model": ..., "optimizer": ..., ...}`` (``checkpoint_epoch=N.pt``).
    """
    if isinstance(checkpoint, dict) and isinstance(checkpoint.get("model"), dict):
        checkpoint = checkpoint["model"]
    if not isinstance(checkpoint, dict) or not all(isinstance(v, torch.Tensor) for v in checkpoint.values()):
        raise ValueError(f"checkpoint '{path}' holds no model state dict (a dict of tensors, or one under 'model').")
    return checkpoint


def load_init_checkpoint(
    network: nn.Module, path: str | os.PathLike, strict: bool = False, map_location: str | torch.device = "cpu"
) -> tuple[list[str], list[str]]:
    """Load a state dict from ``path`` into ``network`` (``torch.load(weights_only=True)``) and log what did not match.

    Args:
        network: the network to initialise (modified in place).
        path: a ``model.pt`` or an interval checkpoint written by the bundles' ``CheckpointSaver``.
        strict: require the keys to match exactly.
        map_location: where the loaded tensors are put before copying.

    Returns:
        ``(missing_keys, unexpected_keys)`` as reported by ``load_state_dict``.

    Raises:
        FileNotFoundError: when ``path`` does not exist.
        ValueError: when the file holds no state dict, or none of its keys belongs to ``network``.
        RuntimeError: from ``load_state_dict`` when shapes differ (or keys, with ``strict``).
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f"init_checkpoint '{path}' does not exist.")
    state = _state_dict_of(torch.load(path, map_location=map_location, weights_only=True), path)
    own = set(network.state_dict())
    if own and not own.intersection(state):
        raise ValueError(
            f"init_checkpoint '{path}' shares no key with the network (its keys start like "
            f"{sorted(state)[:3]}, the network's like {sorted(own)[:3]})."
        )
    result = network.load_state_dict(state, strict=strict)
    logger.info(
        f"loaded '{path}': {len(state) - len(result.unexpected_keys)} tensors; "
        f"missing keys {list(result.missing_keys)}; unexpected keys {list(result.unexpected_keys)}."
    )
    return list(result.missing_keys), list(result.unexpected_keys)


def _matches(name: str, prefixes: Sequence[str]) -> bool:
    return any(name.startswith(p) for p in prefixes)


def _check_prefixes(names: Sequence[str], prefixes: Sequence[str], what: str) -> None:
    unused = [p for p in prefixes if not any(n.startswith(p) for n in names)]
    if unused:
        raise ValueError(
            f"{what} {unused} match no parameter of the network; parameter names start like {sorted(names)[:5]}."
        )


def freeze_by_prefix(
    network: nn.Module, prefixes: Sequence[str] | None = None, except_prefixes: Sequence[str] | None = None
) -> list[str]:
    """Set ``requires_grad=False`` on parameters by name prefix; the others are set trainable.

    Exactly one of ``prefixes`` and ``except_prefixes`` may be given (neither: everything trainable).

    Args:
        network: the network (modified in place).
        prefixes: freeze the parameters whose names start with one of these.
        except_prefixes: freeze every parameter except those whose names start with one of these.

    Returns:
        the names of the frozen parameters.

    Raises:
        ValueError: when both are given, or a prefix matches no parameter.
    """
    if prefixes and except_prefixes:
        raise ValueError("give freeze_prefixes or freeze_except_prefixes, not both.")
    names = [n for n, _ in network.named_parameters()]
    if prefixes:
        _check_prefixes(names, prefixes, "freeze_prefixes")
    if except_prefixes:
        _check_prefixes(names, except_prefixes, "freeze_except_prefixes")
    frozen = []
    for name, param in network.named_parameters():
        freeze = _matches(name, prefixes) if prefixes else bool(except_prefixes) and not _matches(name, except_prefixes)
        param.requires_grad_(not freeze)
        if freeze:
            frozen.append(name)
    n_total = sum(p.numel() for p in network.parameters())
    n_train = sum(p.numel() for p in network.parameters() if p.requires_grad)
    logger.info(f"froze {len(frozen)} of {len(names)} parameter tensors; {n_train} of {n_total} values trainable.")
    return frozen


def load_and_freeze(
    network: nn.Module,
    init_checkpoint: str | os.PathLike | None = None,
    freeze_prefixes: Sequence[str] | None = None,
    freeze_except_prefixes: Sequence[str] | None = None,
    strict: bool = False,
) -> nn.Module:
    """Initialise ``network`` from ``init_checkpoint`` (if given), freeze by prefix, and return it.

    Args:
        network: the network (modified in place).
        init_checkpoint: a checkpoint file, or None to keep the current weights.
        freeze_prefixes: see :func:`freeze_by_prefix`.
        freeze_except_prefixes: see :func:`freeze_by_prefix`.
        strict: load the checkpoint strictly.
    """
    if init_checkpoint is not None:
        load_init_checkpoint(network, init_checkpoint, strict=strict)
    freeze_by_prefix(network, freeze_prefixes, freeze_except_prefixes)
    return network


def instantiate_and_freeze(
    target: str,
    init_checkpoint: str | os.PathLike | None,
    freeze_prefixes: Sequence[str] | None = None,
    freeze_except_prefixes: Sequence[str] | None = None,
    strict: bool = False,
    **kwargs: Any,
) -> nn.Module:
    """Build ``target(**kwargs)`` and pass it through :func:`load_and_freeze`; for a bundle's ``network_def``.

    A fine-tuning override swaps ``network_def#_target_`` for this function and adds ``target``,
    ``init_checkpoint`` and the prefixes, leaving the bundle's other ``network_def`` arguments as they are.

    Args:
        target: the dotted name of the network class (e.g. ``nlcen_monai.networks.nets.PixelNormalizedNet``).
        init_checkpoint: the checkpoint to fine-tune from; required (fine-tuning from nothing is a config error).
        freeze_prefixes: see :func:`freeze_by_prefix`.
        freeze_except_prefixes: see :func:`freeze_by_prefix`.
        strict: load the checkpoint strictly.
        kwargs: the constructor arguments of ``target``.

    Raises:
        ValueError: when ``init_checkpoint`` is None.
    """
    if init_checkpoint is None:
        raise ValueError(
            "init_checkpoint is null: a fine-tuning override needs the checkpoint to start from, "
            "e.g. --init_checkpoint runs/wo_nlce/models/model.pt."
        )
    network = instantiate(target, "default", **kwargs)
    return load_and_freeze(network, init_checkpoint, freeze_prefixes, freeze_except_prefixes, strict)
