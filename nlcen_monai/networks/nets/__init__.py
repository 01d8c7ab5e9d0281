"""Segmentation networks: NLCEN and the paper's baselines, each with or without NLCE modules."""

from __future__ import annotations

from .nlcen import NLCEN
from .pixel_normalized import PixelNormalizedNet
from .cdnn import CDNN
from .invertednet import InvertedNet
from .nwcn import NWCN
from .slsdeep import SLSDeep
from .unet import UNet
