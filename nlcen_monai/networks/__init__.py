"""Networks of the paper's comparison (NLCEN and its baselines) and a factory to build them by name."""

from __future__ import annotations

from .factory import NETWORKS, get_loss, get_network

__all__ = ["NETWORKS", "get_loss", "get_network"]
