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
"""The image corruptions a clinic's radiographs carry, at five severities each: the table and the transform.

:data:`CORRUPTIONS` is the one place where the severities are listed. Each corruption acts on a
channel-first image in the [0, 255] pixel domain at the network's input size (after the bundle's resize),
and its output is clipped back to [0, 255]. Severity 0 is the identity; severities 1 to 5 use these
parameter values:

==================  =======================================  =========================  ==================================
corruption          parameter                                severities 1..5            transform
==================  =======================================  =========================  ==================================
``gaussian_noise``  noise standard deviation, grey levels    4, 8, 16, 32, 48           MONAI ``RandGaussianNoise``
``poisson_noise``   photons of a white pixel (fewer: worse)  1000, 300, 100, 30, 10     by hand (``RandPoissonNoise``)
``gaussian_blur``   sigma, pixels                            0.5, 1, 1.5, 2, 3          MONAI ``GaussianSmooth``
``contrast``        contrast factor around the image mean    0.8, 0.6, 0.4, 0.3, 0.2    MONAI ``ScaleIntensityFixedMean``
``gamma``           gamma (> 1 darkens the mid-tones)        1.25, 1.5, 2, 2.5, 3       MONAI ``AdjustContrast``
``brightness``      grey levels added                        16, 32, 48, 64, 96         MONAI ``ShiftIntensity``
``jpeg``            JPEG quality (lower: worse)              50, 30, 20, 10, 5          by hand (``JPEGCompression``, PIL)
``downsample``      factor down (area), then up (bilinear)   2, 3, 4, 6, 8              MONAI ``Resize`` twice
``bias_field``      bound of the log-field's coefficients    0.05, 0.1, 0.15, 0.2, 0.3  MONAI ``RandBiasField``
==================  =======================================  =========================  ==================================

The blur pads by reflection before smoothing and crops back (MONAI's ``GaussianSmooth`` pads with zeros,
which would darken the border). The bias field is a degree-3 polynomial whose coefficients are drawn
uniformly in ``[-bound, bound]`` and exponentiated (MONAI's ``RandBiasField``).

The random corruptions (both noises, the bias field) are deterministic given a seed; :func:`image_seed`
derives one per image and corruption from a run's seed and the image's name. The same seed serves every
severity, so that the Gaussian noise and the bias field of a severity are those of the one before, scaled up.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from monai.config import NdarrayOrTensor
from monai.transforms import (
    AdjustContrast,
    BorderPad,
    Compose,
    GaussianSmooth,
    RandBiasField,
    RandGaussianNoise,
    Resize,
    ScaleIntensityFixedMean,
    ShiftIntensity,
    SpatialCrop,
    Transform,
)
from monai.utils import convert_to_tensor

from nlcen_monai.robustness.corruption_transforms import JPEGCompression, RandPoissonNoise

__all__ = ["CORRUPTIONS", "Corruption", "Corrupt", "corruption_names", "corruption_values", "image_seed"]

#: builds the transform of one parameter value for a seed and an image's spatial shape
Builder = Callable[[float, int, Sequence[int]], Callable[[torch.Tensor], NdarrayOrTensor]]


@dataclass(frozen=True)
class Corruption:
    """One corruption: what its parameter means, its five severities' values and how to build it.

    Args:
        parameter: what the parameter value is, with its unit.
        severities: the parameter values of severities 1, 2, ... (each worse than the one before).
        build: ``build(value, seed, spatial_shape)`` returns the transform of one image.
    """

    parameter: str
    severities: tuple[float, ...]
    build: Builder


def _gaussian_noise(std: float, seed: int, shape: Sequence[int]) -> Callable:
    return RandGaussianNoise(prob=1.0, mean=0.0, std=std, sample_std=False).set_random_state(seed)


def _poisson_noise(photons: float, seed: int, shape: Sequence[int]) -> Callable:
    return RandPoissonNoise(photons, prob=1.0).set_random_state(seed)


def _gaussian_blur(sigma: float, seed: int, shape: Sequence[int]) -> Callable:
    radius = int(math.ceil(4.0 * sigma))  # GaussianSmooth truncates its kernel at 4 sigma
    start = [radius] * len(shape)
    return Compose(
        [
            BorderPad(spatial_border=radius, mode="reflect"),
            GaussianSmooth(sigma=sigma),
            SpatialCrop(roi_start=start, roi_end=[radius + s for s in shape]),
        ]
    )


def _contrast(factor: float, seed: int, shape: Sequence[int]) -> Callable:
    return ScaleIntensityFixedMean(factor=factor - 1.0, fixed_mean=True)


def _gamma(gamma: float, seed: int, shape: Sequence[int]) -> Callable:
    return AdjustContrast(gamma=gamma)


def _brightness(offset: float, seed: int, shape: Sequence[int]) -> Callable:
    return ShiftIntensity(offset=offset)


def _jpeg(quality: float, seed: int, shape: Sequence[int]) -> Callable:
    return JPEGCompression(int(quality))


def _downsample(factor: float, seed: int, shape: Sequence[int]) -> Callable:
    small = [max(1, int(round(s / factor))) for s in shape]
    return Compose([Resize(spatial_size=small, mode="area"), Resize(spatial_size=list(shape), mode="bilinear")])


def _bias_field(bound: float, seed: int, shape: Sequence[int]) -> Callable:
    return RandBiasField(degree=3, coeff_range=(-bound, bound), prob=1.0).set_random_state(seed)


#: every corruption, in the order of the tables; the one place where the severities are listed
CORRUPTIONS: dict[str, Corruption] = {
    "gaussian_noise": Corruption("noise standard deviation (grey levels)", (4, 8, 16, 32, 48), _gaussian_noise),
    "poisson_noise": Corruption("photons of a white pixel", (1000, 300, 100, 30, 10), _poisson_noise),
    "gaussian_blur": Corruption("sigma (pixels)", (0.5, 1, 1.5, 2, 3), _gaussian_blur),
    "contrast": Corruption("contrast factor around the mean", (0.8, 0.6, 0.4, 0.3, 0.2), _contrast),
    "gamma": Corruption("gamma", (1.25, 1.5, 2, 2.5, 3), _gamma),
    "brightness": Corruption("grey levels added", (16, 32, 48, 64, 96), _brightness),
    "jpeg": Corruption("JPEG quality", (50, 30, 20, 10, 5), _jpeg),
    "downsample": Corruption("downsampling factor", (2, 3, 4, 6, 8), _downsample),
    "bias_field": Corruption("bias-field coefficient bound", (0.05, 0.1, 0.15, 0.2, 0.3), _bias_field),
}


def corruption_names(corruptions: Sequence[str] | Mapping[str, Sequence[float]] | None = None) -> list[str]:
    """The names of ``corruptions`` (None: every one of :data:`CORRUPTIONS`), each checked.

    Args:
        corruptions: names, or a mapping of names to parameter values, or None.

    Raises:
        ValueError: naming an unknown corruption and the known ones.
    """
    names = list(CORRUPTIONS) if corruptions is None else list(corruptions)
    unknown = [n for n in names if n not in CORRUPTIONS]
    if unknown:
        raise ValueError(f"unknown corruption(s) {unknown}; known: {list(CORRUPTIONS)}.")
    return names


def corruption_values(name: str, values: Sequence[float] | None = None) -> tuple[float, ...]:
    """The parameter values of severities 1, 2, ... of ``name``: ``values`` if given, else the table's.

    Args:
        name: a key of :data:`CORRUPTIONS`.
        values: parameter values that replace the table's (e.g. from a config).
    """
    corruption_names([name])
    return tuple(float(v) for v in (CORRUPTIONS[name].severities if values is None else values))


def image_seed(seed: int, case: str, corruption: str) -> int:
    """A seed for one image and corruption, the same on every machine and in every run.

    Args:
        seed: the run's seed.
        case: the image's name (e.g. its file name without suffix).
        corruption: the corruption's name.
    """
    words = [int(seed) & 0xFFFFFFFF, zlib.crc32(case.encode()), zlib.crc32(corruption.encode())]
    return int(np.random.SeedSequence(words).generate_state(1)[0])


class Corrupt(Transform):
    """Corrupt a channel-first image in [0, 255] by ``name`` at ``severity``, then clip it to [0, 255].

    Severity 0 returns the image unchanged (as a float32 tensor); severity ``k`` >= 1 applies the corruption
    with the ``k``-th parameter value of :data:`CORRUPTIONS` (or of ``values``).

    Args:
        name: a key of :data:`CORRUPTIONS`.
        severity: 0 (the identity) to the number of parameter values.
        seed: the seed of the random corruptions (see :func:`image_seed` for one per image).
        values: parameter values that replace the table's for this corruption.

    Raises:
        ValueError: for an unknown corruption or a severity out of range.
    """

    def __init__(self, name: str, severity: int, seed: int = 0, values: Sequence[float] | None = None) -> None:
        self.values = corruption_values(name, values)
        if not 0 <= int(severity) <= len(self.values):
            raise ValueError(f"severity of '{name}' must be in [0, {len(self.values)}], got {severity}.")
        self.name, self.severity, self.seed = name, int(severity), int(seed)

    @property
    def value(self) -> float | None:
        """The parameter value of this severity (None at severity 0)."""
        return None if self.severity == 0 else self.values[self.severity - 1]

    def __call__(self, img: NdarrayOrTensor) -> torch.Tensor:
        """The corrupted image, float32, clipped to [0, 255].

        Args:
            img: a channel-first image, grey levels in [0, 255].
        """
        image = convert_to_tensor(img, dtype=torch.float32, track_meta=False)
        if self.value is None:
            return image.clone()
        transform = CORRUPTIONS[self.name].build(self.value, self.seed, tuple(image.shape[1:]))
        out = convert_to_tensor(transform(image), dtype=torch.float32, track_meta=False)
        return torch.clamp(out, 0.0, 255.0)
