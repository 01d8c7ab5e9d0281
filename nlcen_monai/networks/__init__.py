"""Networks of the paper's comparison (NLCEN and its baselines), and their losses by name for Python code.

Bundles name a network and its loss by ``_target_`` (``configs/networks/*.json``); :func:`get_network`
and :func:`get_loss` give the same pairs from Python (``tests/configs`` checks that they agree).
"""

from __future__ import annotations

from .factory import NETWORKS, get_loss, get_network

__all__ = ["NETWORKS", "get_loss", "get_network"]
