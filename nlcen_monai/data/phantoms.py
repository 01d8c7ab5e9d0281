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
"""Seeded synthetic phantoms: chest-radiograph-like grey images and skin-lesion-like RGB images.

They stand in for JSRT and ISBI 2016 wherever no real data is at hand (fresh machines, tests,
demos): same formats, same value ranges, same polarity (lungs dark), masks 0/1. They are
cartoons built from ellipses and smooth noise, not a model of anatomy; no library draws them,
so they are written here with scikit-image's shape rasterisers and SciPy's Gaussian filter.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import ndimage
from skimage.draw import ellipse

__all__ = ["chest_phantom", "lesion_phantom"]


def _ellipse_mask(size: int, center: tuple[float, float], radii: tuple[float, float], angle: float = 0.0) -> np.ndarray:
    """Boolean (size, size) ellipse; centre and radii as fractions of the side, (row, column) order."""
    mask = np.zeros((size, size), dtype=bool)
    rr, cc = ellipse(center[0] * size, center[1] * size, radii[0] * size, radii[1] * size, (size, size), angle)
    mask[rr, cc] = True
    return mask


def _smooth_noise(rng: np.random.Generator, shape: tuple[int, ...], sigma: float) -> np.ndarray:
    """Zero-mean, unit-peak smooth random field."""
    field = ndimage.gaussian_filter(rng.standard_normal(shape), sigma=sigma)
    return field / (np.abs(field).max() + 1e-12)


def chest_phantom(size: int = 256, rng: np.random.Generator | int | Sequence[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A chest-radiograph-like grey image and its lung mask.

    Air around a bright torso, two dark lung fields with a vertical gradient, a bright heart
    overlapping the left lung (image right), a spine, curved ribs across the lungs, blur and noise.

    Args:
        size: side length in pixels (at least 16).
        rng: a NumPy generator or a seed (an int or a sequence of ints).

    Returns:
        ``(image, mask)``: uint8 (size, size) grey levels with dark lungs, and uint8 {0, 1} lungs.
    """
    if size < 16:
        raise ValueError(f"size must be at least 16, got {size}.")
    rng = np.random.default_rng(rng)
    rows, cols = np.mgrid[0:size, 0:size] / size
    u = rng.uniform

    torso = _ellipse_mask(size, (0.58, 0.5), (0.58 + u(-0.02, 0.02), 0.47 + u(-0.02, 0.02)))
    image = np.where(torso, 165 + 40 * rows, 35 + u(-10, 10))

    spread, top, height = u(0.18, 0.22), u(0.40, 0.46), u(0.25, 0.30)
    lungs = np.zeros((size, size), dtype=bool)
    for side in (-1, 1):
        center = (top + u(-0.02, 0.02), 0.5 + side * (spread + u(-0.01, 0.01)))
        lungs |= _ellipse_mask(size, center, (height + u(-0.02, 0.02), u(0.12, 0.15)), side * u(0.0, 0.12))
    heart = _ellipse_mask(size, (0.66 + u(-0.02, 0.02), 0.56 + u(-0.02, 0.02)), (u(0.10, 0.13), u(0.13, 0.17)))
    spine = np.abs(cols - 0.5) < 0.035
    lungs &= ~heart & ~spine

    image = np.where(lungs, 70 + 45 * rows + 10 * _smooth_noise(rng, (size, size), size / 16), image)
    image = np.where(heart | (spine & torso), np.maximum(image, 185), image)
    for k in range(9):  # ribs: bright arcs, steeper towards the sides
        center_row = 0.2 + 0.075 * k + u(-0.01, 0.01)
        arc = center_row + 0.7 * (cols - 0.5) ** 2
        image = image + 22 * (np.abs(rows - arc) < 0.012 + 0.004 * k / 8) * torso

    image = ndimage.gaussian_filter(image, sigma=max(0.5, size / 256))
    image = image + rng.normal(0.0, 4.0, image.shape)
    return np.clip(np.rint(image), 0, 255).astype(np.uint8), lungs.astype(np.uint8)


def lesion_phantom(size: int = 256, rng: np.random.Generator | int | Sequence[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A dermoscopy-like RGB image with one dark irregular blob (the lesion) and its mask.

    Args:
        size: side length in pixels (at least 16).
        rng: a NumPy generator or a seed (an int or a sequence of ints).

    Returns:
        ``(image, mask)``: uint8 (size, size, 3) RGB, and uint8 {0, 1} lesion mask.
    """
    if size < 16:
        raise ValueError(f"size must be at least 16, got {size}.")
    rng = np.random.default_rng(rng)
    rows, cols = np.mgrid[0:size, 0:size] / size
    u = rng.uniform

    skin = np.array([u(185, 225), u(135, 175), u(110, 150)])
    vignette = 1.0 - 0.45 * np.clip(np.hypot(rows - 0.5, cols - 0.5) / 0.7, 0, 1) ** 2
    shading = 1.0 + 0.06 * _smooth_noise(rng, (size, size), size / 10)
    image = skin * (vignette * shading)[..., None]

    center = (0.5 + u(-0.12, 0.12), 0.5 + u(-0.12, 0.12))
    radius, theta = np.hypot(rows - center[0], cols - center[1]), np.arctan2(rows - center[0], cols - center[1])
    outline = np.full_like(theta, u(0.12, 0.28))
    for k in range(2, 6):  # irregular border: a few random harmonics
        outline *= 1.0 + u(0.0, 0.08) * np.cos(k * theta + u(0, 2 * np.pi))
    lesion = radius <= outline

    brown = np.array([u(90, 130), u(55, 85), u(40, 65)])
    core = np.clip(1.0 - radius / outline, 0, 1)[..., None]  # darker towards the centre
    pigment = brown * (1.0 - 0.35 * core) * (1.0 + 0.1 * _smooth_noise(rng, (size, size), size / 32))[..., None]
    alpha = ndimage.gaussian_filter(lesion.astype(np.float64), sigma=max(0.5, size / 128))[..., None]
    image = (1 - alpha) * image + alpha * pigment
    image = image + rng.normal(0.0, 3.0, image.shape)
    return np.clip(np.rint(image), 0, 255).astype(np.uint8), lesion.astype(np.uint8)
