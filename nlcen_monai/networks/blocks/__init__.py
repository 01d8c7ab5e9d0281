"""Building blocks: the Non-Local Context Encoder and its parts."""

from __future__ import annotations

from .nlce import NLCE, ContextEncoding, NonLocalBlock

__all__ = ["NLCE", "ContextEncoding", "NonLocalBlock"]
