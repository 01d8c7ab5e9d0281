"""Segmentation networks: NLCEN and the paper's baselines, each with or without NLCE modules."""

from __future__ import annotations

from .cdnn import CDNN
from .invertednet import InvertedNet
from .nlcen import NLCEN, NLCEN_BACKBONES
from .nwcn import NWCN
from .pixel_normalized import PixelNormalizedNet
from .slsdeep import SLSDeep
from .unet import UNet

__all__ = ["CDNN", "NLCEN", "NLCEN_BACKBONES", "NWCN", "InvertedNet", "PixelNormalizedNet", "SLSDeep", "UNet"]
