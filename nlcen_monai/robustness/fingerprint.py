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
"""Which model a robustness record was made with: a short digest of the evaluated network's weights.

A resumed evaluation keeps the rows its results store holds. Those rows belong to the network that
was attacked when they were recorded, so the store records :func:`model_fingerprint` of it in its
settings (under :data:`MODEL_KEY`), and :func:`check_same_model` refuses to add another network's rows
to it. The digest depends on the weights only: a network wrapped in ``DistributedDataParallel`` (keys
``module.<name>``) and the bare network agree, and so do the same weights on another device.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import torch

__all__ = ["MODEL_KEY", "check_same_model", "model_fingerprint", "models_differ"]

#: the settings key under which a results store records the fingerprint of the model its rows belong to
MODEL_KEY = "model"

_WRAPPER_PREFIX = "module."


def model_fingerprint(network: torch.nn.Module | Mapping[str, Any], length: int = 16) -> str:
    """A short hex digest of a network's weights (its ``state_dict``: parameters and buffers).

    The SHA-256 covers, in sorted key order, each entry's key (a leading ``module.``, as
    ``DistributedDataParallel`` and ``DataParallel`` add it, removed), dtype, shape and bytes (on the CPU,
    contiguous). Entries that are not tensors (a module's extra state) are left out.

    Args:
        network: the network, or its ``state_dict``.
        length: how many hex characters to keep (16: 64 bits, ample to tell checkpoints apart).

    Returns:
        the first ``length`` hex characters of the digest.

    Raises:
        ValueError: two keys name the same entry once ``module.`` is removed.
    """
    state = network.state_dict() if isinstance(network, torch.nn.Module) else network
    tensors: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        if not isinstance(value, torch.Tensor):
            continue
        name = str(key)
        while name.startswith(_WRAPPER_PREFIX):
            name = name[len(_WRAPPER_PREFIX) :]
        if name in tensors:
            raise ValueError(f"the state dict names '{name}' twice (with and without a '{_WRAPPER_PREFIX}' prefix).")
        tensors[name] = value
    digest = hashlib.sha256()
    for name in sorted(tensors):
        tensor = tensors[name].detach().to("cpu").resolve_conj().resolve_neg().contiguous()
        header = f"{name}\0{str(tensor.dtype).replace('torch.', '')}\0{tuple(tensor.shape)}\0{tensor.numel()}\0"
        digest.update(header.encode())
        if tensor.numel():
            digest.update(tensor.reshape(-1).view(torch.uint8).numpy())
    return digest.hexdigest()[: int(length)]


def models_differ(first: str | None, second: str | None) -> bool:
    """True when both fingerprints are known and differ; an unknown one (a record written before fingerprints
    were recorded, or a model not fingerprinted) differs from nothing.

    Args:
        first: a :func:`model_fingerprint`, or None / "".
        second: another, or None / "".
    """
    return bool(first) and bool(second) and first != second


def check_same_model(recorded: Mapping[str, Any], fingerprint: str | None, where: str = "") -> None:
    """Refuse to add rows of the model ``fingerprint`` to a store whose settings name another model.

    A store whose settings name no model (written before the fingerprint was recorded) is accepted.

    Args:
        recorded: the store's settings (``RobustnessResult.settings``).
        fingerprint: the :func:`model_fingerprint` of the model about to add rows (None: unknown, accepted).
        where: the store's location, named in the error ("": not known).

    Raises:
        ValueError: the store was made with another model (one line, with both fingerprints).
    """
    stored = recorded.get(MODEL_KEY)
    if not models_differ(stored, fingerprint):
        return
    place = f" in {where}" if where else ""
    raise ValueError(
        f"the stored robustness results{place} were made with another model (fingerprint {stored}, now {fingerprint}); "
        "give another output_dir or remove them."
    )
