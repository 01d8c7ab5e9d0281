"""Networks of the paper's comparison (NLCEN and its baselines, :mod:`.nets`), the NLCE block (:mod:`.blocks`),
and, for Python code, each network and its loss by name.

The one registry of networks and losses is the set of ``_target_`` override files
``configs/networks/*.json`` that the bundles stack; :func:`get_network` and :func:`get_loss` build
from the same files.
"""

from __future__ import annotations

from typing import Any

from . import factory
from .factory import get_loss, get_network, network_names

__all__ = ["NETWORKS", "get_loss", "get_network", "network_names"]


def __getattr__(name: str) -> Any:
    """``NETWORKS`` (``{name: network class}``) is read from the registry when it is used."""
    if name == "NETWORKS":
        return factory.NETWORKS
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
