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
"""MONAI transform chains for the JSRT and ISBI 2016 datalists (keys ``"image"`` and ``"label"``) and for new images.

Images are brought to the [0, 255] pixel domain by the one rule of :mod:`nlcen_monai.data.grey_levels`
(8-bit kept, 12/16-bit and float stretched; DICOM read as displayed by
:class:`~nlcen_monai.data.RadiographDicomReader`) and stay there as float32, with no normalisation: that
belongs to :class:`nlcen_monai.networks.nets.PixelNormalizedNet`, so that an attack's ``eps`` is in grey
levels. A one-slice volume becomes a 2-D image (:class:`~nlcen_monai.data.EnsurePlanard`). Labels come
out as float32 {0, 1} of shape (1, H, W). Grey images have exactly 1 channel, RGB images 3.

Orientation: MONAI's ``PILReader`` swaps the two spatial axes (``reverse_indexing``), and so do its DICOM
readers; images and labels go through the same readers, so they stay aligned, and spatial axis 0 is the
horizontal one. The networks were trained on arrays in this layout: an array in the usual (rows, columns)
layout must be transposed first (:class:`nlcen_monai.inference.Segmenter` does it).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from monai.data import ImageReader
from monai.transforms import (
    Compose,
    EnsureChannelFirstd,
    EnsureTyped,
    Lambdad,
    LoadImaged,
    RandAdjustContrastd,
    RandAffined,
    RandFlipd,
    RandRotated,
    RandScaleIntensityd,
    RandShiftIntensityd,
    Resized,
)

from nlcen_monai.data.dicom_reader import RadiographDicomReader
from nlcen_monai.data.grey_levels import GreyLevelsd
from nlcen_monai.data.jsrt_reader import JSRTImageReader
from nlcen_monai.data.match_channels import MatchChanneld
from nlcen_monai.data.pair_check import CheckImageLabeld
from nlcen_monai.data.planar import EnsurePlanard

__all__ = [
    "pixel_domain_transforms",
    "inference_transforms",
    "jsrt_augmentation",
    "jsrt_transforms",
    "isbi2016_transforms",
    "clip_pixels",
    "load_image_transforms",
]

KEYS = ("image", "label")
PIXEL_MIN, PIXEL_MAX = 0.0, 255.0


def clip_pixels(image: torch.Tensor | np.ndarray) -> torch.Tensor | np.ndarray:
    """``image`` clipped to the pixel domain [0, 255] (after intensity augmentation).

    Args:
        image: a tensor or array of grey levels.
    """
    if isinstance(image, torch.Tensor):
        return torch.clamp(image, PIXEL_MIN, PIXEL_MAX)
    return np.clip(image, PIXEL_MIN, PIXEL_MAX)


def load_image_transforms(
    keys: str | Sequence[str] = "image", image_reader: ImageReader | type | str | None = None
) -> list:
    """Load images as 2-D, channel-first grey levels 0..255 (float32): the shared first steps of every chain.

    DICOM files are read with :class:`~nlcen_monai.data.RadiographDicomReader`, JSRT's raw ``.IMG`` with
    :class:`~nlcen_monai.data.JSRTImageReader`, any other file by the reader MONAI chooses (or
    ``image_reader``), in its own dtype; :class:`~nlcen_monai.data.EnsurePlanard` makes a
    one-slice volume 2-D and :class:`~nlcen_monai.data.GreyLevelsd` applies the grey-level rule.

    Args:
        keys: the image keys (not labels).
        image_reader: a reader tried before all others (e.g. ``JSRTImageReader`` for ``.IMG`` files).
    """
    own = [JSRTImageReader(), RadiographDicomReader()]  # after MONAI's own readers, so asked before them
    if image_reader is None:  # MONAI chooses by suffix; the DICOM reader, registered last, is asked first
        load = LoadImaged(keys, image_only=True, dtype=None)
        for reader in own:
            load.register(reader)
    else:  # MONAI tries the readers given in turn, the last given first
        load = LoadImaged(keys, reader=[*own, image_reader], image_only=True, dtype=None)
    return [
        load,
        EnsureChannelFirstd(keys),
        EnsurePlanard(keys),
        GreyLevelsd(keys),
    ]


def pixel_domain_transforms(
    spatial_size: int | Sequence[int] = 256,
    image_channels: int | None = None,
    image_reader: ImageReader | type | str | None = None,
) -> list:
    """Load, check and resize an image/label pair, keeping pixels in [0, 255] (no augmentation).

    Args:
        spatial_size: output size, an int for a square or (H, W).
        image_channels: required image channel count (1 or 3), or ``None`` for any.
        image_reader: reader for the image only (e.g. ``JSRTImageReader`` for ``.IMG`` files);
            ``None`` lets MONAI choose by suffix (DICOM: :class:`~nlcen_monai.data.RadiographDicomReader`).
            Labels always use MONAI's choice.

    Returns:
        a list of transforms (wrap it in ``Compose`` or extend it).
    """
    size = _spatial_size(spatial_size)
    return load_image_transforms("image", image_reader) + [
        # one reader per key: a raw-file reader must not be tried on the PNG label
        LoadImaged("label", image_only=True, dtype=np.float32, allow_missing_keys=True),
        EnsureChannelFirstd("label", allow_missing_keys=True),
        EnsurePlanard("label", allow_missing_keys=True),
        CheckImageLabeld(KEYS, image_channels=image_channels),
        Resized(KEYS, spatial_size=size, mode=("area", "nearest"), allow_missing_keys=True),
    ]


def _spatial_size(spatial_size: int | Sequence[int]) -> tuple[int, ...]:
    """(H, W) from an int (a square) or a sequence."""
    return (int(spatial_size),) * 2 if isinstance(spatial_size, (int, np.integer)) else tuple(spatial_size)


def inference_transforms(
    spatial_size: int | Sequence[int] = 256,
    num_channels: int = 1,
    image_reader: ImageReader | type | str | None = None,
) -> Compose:
    """Load a new image (no label) and give it the network's channel count and input size, in [0, 255].

    MONAI tracks the resize, so ``Invertd`` with this chain brings a prediction back to the image's
    own grid (as the inference bundles do).

    Args:
        spatial_size: the network's input size, an int for a square or (H, W).
        num_channels: the network's input channels: grey is repeated to RGB, RGB made grey (BT.601
            luma), RGBA loses its alpha (:class:`~nlcen_monai.data.MatchChanneld`).
        image_reader: a reader tried before all others; ``None`` lets MONAI choose by suffix (DICOM:
            :class:`~nlcen_monai.data.RadiographDicomReader`).
    """
    return Compose(
        load_image_transforms("image", image_reader)
        + [
            MatchChanneld("image", num_channels=num_channels),
            Resized("image", spatial_size=_spatial_size(spatial_size), mode="area"),
            EnsureTyped("image", dtype=torch.float32),
        ]
    )


def jsrt_augmentation(
    spatial_size: int | Sequence[int] = 256,
    prob: float = 0.5,
    rotate_degrees: float = 10.0,
    scale: float = 0.1,
    translate: float = 0.05,
) -> list:
    """Random transforms for JSRT training in the pixel domain, images clipped back to [0, 255].

    Geometry (image and label alike; image bilinear, label nearest, so it stays binary): an affine
    map with rotation uniform in +/- ``rotate_degrees``, scale in ``1 +/- scale`` and translation up
    to ``translate`` of the size, and horizontal flips (spatial axis 0 for MONAI-read PNGs; the
    label is "lung", not left or right lung, so a flip keeps it valid). Intensity (image only):
    scaling by ``1 +/- 0.1``, a shift of +/- 10 grey levels and a contrast gamma in [0.8, 1.25],
    then the clip to [0, 255] that attacks and ``PixelNormalizedNet`` assume. Each transform fires
    with probability ``prob``.

    Args:
        spatial_size: the image size the chain produces, an int for a square or (H, W) (for the translation).
        prob: the probability of each random transform.
        rotate_degrees: the largest rotation in degrees.
        scale: the largest relative change of scale.
        translate: the largest translation as a fraction of the size.
    """
    size = _spatial_size(spatial_size)
    return [
        RandAffined(
            KEYS,
            prob=prob,
            rotate_range=float(np.deg2rad(rotate_degrees)),
            scale_range=scale,
            translate_range=[translate * s for s in size],
            mode=("bilinear", "nearest"),
            padding_mode="reflection",  # same geometry for image and label, no black corners
            allow_missing_keys=True,
        ),
        RandFlipd(KEYS, prob=prob, spatial_axis=0, allow_missing_keys=True),
        RandScaleIntensityd("image", factors=0.1, prob=prob),
        RandShiftIntensityd("image", offsets=10.0, prob=prob),
        RandAdjustContrastd("image", gamma=(0.8, 1.25), prob=prob),
        Lambdad("image", clip_pixels),
    ]


def jsrt_transforms(
    train: bool = False,
    spatial_size: int | Sequence[int] = 256,
    image_reader: ImageReader | type | str | None = None,
    augment: bool = False,
) -> Compose:
    """JSRT chest radiographs: 1 grey channel; by default no augmentation (as in the paper), train or eval.

    Args:
        train: training or evaluation chain; identical for JSRT unless ``augment``.
        spatial_size: output size, an int for a square or (H, W).
        image_reader: reader for the images, e.g. ``JSRTImageReader()`` to read ``.IMG`` directly.
        augment: for the training chain, add :func:`jsrt_augmentation` (the paper trains without
            augmentation; ignored when not ``train``).
    """
    chain = pixel_domain_transforms(spatial_size, image_channels=1, image_reader=image_reader)
    if train and augment:
        chain += jsrt_augmentation(spatial_size)
    return Compose(chain + [EnsureTyped(KEYS, dtype=torch.float32, allow_missing_keys=True)])


def isbi2016_transforms(
    train: bool = False,
    spatial_size: int | Sequence[int] = 256,
    flip_prob: float = 0.5,
    rotate_degrees: float = 10.0,
    rotate_prob: float = 0.5,
) -> Compose:
    """ISBI 2016 skin lesions: 3 RGB channels; for training, random flips and small rotations.

    Args:
        train: add the augmentation (random horizontal and vertical flips, rotations).
        spatial_size: output size, an int for a square or (H, W).
        flip_prob: probability of each flip.
        rotate_degrees: rotations are uniform in [-rotate_degrees, +rotate_degrees].
        rotate_prob: probability of a rotation.
    """
    chain = pixel_domain_transforms(spatial_size, image_channels=3)
    if train:
        chain += [
            RandFlipd(KEYS, prob=flip_prob, spatial_axis=0),
            RandFlipd(KEYS, prob=flip_prob, spatial_axis=1),
            RandRotated(
                KEYS,
                range_x=float(np.deg2rad(rotate_degrees)),
                prob=rotate_prob,
                keep_size=True,
                mode=("bilinear", "nearest"),
                padding_mode="reflection",  # same geometry for image and label, no black corners
            ),
        ]
    return Compose(chain + [EnsureTyped(KEYS, dtype=torch.float32)])
