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
"""The two image corruptions MONAI has no transform for, written by hand: Poisson (shot) noise and JPEG compression.

Both work on channel-first images whose grey levels are in [0, 255] (the pixel domain of this package's
networks) and return float32 tensors of the same shape. The other corruptions of
:mod:`nlcen_monai.robustness.corruptions` are MONAI transforms.
"""

from __future__ import annotations

import io

import numpy as np
import torch
from monai.config import NdarrayOrTensor
from monai.transforms import RandomizableTransform, Transform
from monai.utils import convert_to_dst_type, convert_to_numpy
from PIL import Image

__all__ = ["RandPoissonNoise", "JPEGCompression"]


class RandPoissonNoise(RandomizableTransform):
    """Shot noise: each pixel becomes a Poisson count of photons, scaled back to grey levels.

    A pixel of grey level ``v`` in [0, 255] receives ``Poisson(v / 255 * photons)`` photons and becomes
    ``count / photons * 255``: the noise's standard deviation is ``sqrt(v * 255 / photons)`` grey levels, larger
    in bright pixels and for fewer ``photons``. Negative inputs count as 0. Seed it with ``set_random_state``.

    Args:
        photons: the expected photon count of a white (255) pixel, > 0.
        prob: the probability of corrupting an image.
    """

    def __init__(self, photons: float, prob: float = 1.0) -> None:
        RandomizableTransform.__init__(self, prob)
        if photons <= 0:
            raise ValueError(f"photons must be > 0, got {photons}.")
        self.photons = float(photons)
        self.counts: np.ndarray | None = None

    def randomize(self, img: NdarrayOrTensor) -> None:
        """Draw the photon counts of ``img``'s pixels."""
        super().randomize(None)
        if not self._do_transform:
            return
        expected = np.clip(convert_to_numpy(img, dtype=np.float64), 0.0, None) / 255.0 * self.photons
        self.counts = self.R.poisson(expected)

    def __call__(self, img: NdarrayOrTensor, randomize: bool = True) -> NdarrayOrTensor:
        """``img`` with shot noise (float32, same type and shape).

        Args:
            img: a channel-first image in [0, 255].
            randomize: draw new counts (False reuses the last draw, for an image of the same shape).
        """
        if randomize:
            self.randomize(img)
        if not self._do_transform:
            return img
        if self.counts is None or self.counts.shape != tuple(img.shape):
            raise RuntimeError("randomize() has not been called for an image of this shape.")
        noisy = (self.counts / self.photons * 255.0).astype(np.float32)
        return convert_to_dst_type(noisy, dst=img, dtype=torch.float32)[0]


class JPEGCompression(Transform):
    """Encode an image as a JPEG file of the given quality (PIL) and decode it again.

    The image is rounded and clipped to uint8 first, as a file would be; one channel is encoded as a grey
    JPEG, three as RGB.

    Args:
        quality: PIL's JPEG quality, 1 (worst) to 95.
    """

    def __init__(self, quality: int) -> None:
        if not 1 <= int(quality) <= 95:
            raise ValueError(f"quality must be in [1, 95], got {quality}.")
        self.quality = int(quality)

    def __call__(self, img: NdarrayOrTensor) -> NdarrayOrTensor:
        """``img`` after a JPEG round trip (float32, same type and shape).

        Args:
            img: a channel-first 2-D image, 1 or 3 channels, in [0, 255].
        """
        array = convert_to_numpy(img, dtype=np.float64)
        if array.ndim != 3 or array.shape[0] not in (1, 3):
            raise ValueError(f"JPEG needs a (1 or 3, H, W) image, got shape {tuple(array.shape)}.")
        pixels = np.clip(np.rint(array), 0, 255).astype(np.uint8)
        picture = Image.fromarray(pixels[0]) if pixels.shape[0] == 1 else Image.fromarray(np.moveaxis(pixels, 0, -1))
        buffer = io.BytesIO()
        picture.save(buffer, format="JPEG", quality=self.quality)
        decoded = np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert(picture.mode), dtype=np.float32)
        decoded = decoded[None] if decoded.ndim == 2 else np.moveaxis(decoded, -1, 0)
        return convert_to_dst_type(np.ascontiguousarray(decoded), dst=img, dtype=torch.float32)[0]
