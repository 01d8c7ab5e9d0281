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
"""Load a trained network from a bundle checkpoint in one config expression (e.g. the surrogate of a transfer attack)."""

from __future__ import annotations

import os
from pathlib import Path

import torch
import torch.nn as nn

from nlcen_monai.workflows.release import CHECKSUM_FILE, MODEL_FILE, verify_checksum

__all__ = ["load_network"]


def load_network(network: nn.Module, checkpoint: str | os.PathLike, device: str | torch.device = "cpu") -> nn.Module:
    """``network`` with the weights of ``checkpoint`` (strict, ``weights_only=True``), on ``device``, in eval mode.

    A ``model.sha256`` beside a ``model.pt`` (a released model) is checked first.

    Args:
        network: a freshly built network of the checkpoint's architecture.
        checkpoint: a ``model.pt`` written by the bundles (a state dict), or an interval checkpoint
            (``{"model": state dict, ...}``).
        device: where to put the network.

    Raises:
        FileNotFoundError: when ``checkpoint`` does not exist, naming it.
        ValueError: when it does not match the ``model.sha256`` beside it.
    """
    if not os.path.isfile(checkpoint):
        raise FileNotFoundError(f"checkpoint '{checkpoint}' does not exist.")

    path = Path(checkpoint)
    if path.name == MODEL_FILE and (path.parent / CHECKSUM_FILE).is_file():
        verify_checksum(path)
    state = torch.load(checkpoint, map_location=device, weights_only=True)
    if isinstance(state, dict) and isinstance(state.get("model"), dict):
        state = state["model"]
    network.load_state_dict(state, strict=True)
    return network.to(device).eval()
