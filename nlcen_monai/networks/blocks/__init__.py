"""Building blocks: the Non-Local Context Encoder and its parts, and pieces the baselines share."""

from __future__ import annotations

from .encoder_decoder import CatTwoConv, EncoderDecoder, nlce_slot
from .nlce import NLCE, ContextEncoding, NonLocalBlock
from .pyramid_pooling import PyramidPooling

__all__ = ["NLCE", "CatTwoConv", "ContextEncoding", "EncoderDecoder", "NonLocalBlock", "PyramidPooling", "nlce_slot"]
