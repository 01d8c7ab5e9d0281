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
"""Read a converter's image/mask pairs under one policy, and keep count of what the policy changed.

The policy is per data set: the channel count of the images and how masks are binarised (strictly, or
``--mask-threshold T``). Everything the reader changes in a file (a grey image made RGB, soft mask
pixels assigned by the threshold) is counted and named in :meth:`PairReader.report`, which the
conversion prints after its summary; what it cannot use raises
:class:`~nlcen_monai.data.checks.BadInputError` naming the file.
"""

from __future__ import annotations

import os

import numpy as np

from nlcen_monai.data.checks import check_not_constant
from nlcen_monai.data.grey_levels import to_uint8
from nlcen_monai.prep.channels import convert_channels
from nlcen_monai.prep.image_io import read_image_2d, read_mask_values
from nlcen_monai.prep.validation import check_mask_not_trivial, check_pair_shapes, threshold_mask

__all__ = ["PairReader"]

_CHANNEL_NAMES = {1: "grey", 3: "RGB"}


class PairReader:
    """Read images as uint8 with one channel count, and masks as non-trivial boolean arrays.

    Args:
        channels: channel count of every image (1 grey, 3 RGB), or ``None`` to keep each file's own.
        mask_threshold: ``None``: every mask must be binary (0/1, 0/255, 0/max of its dtype); else
            foreground = stored value > ``mask_threshold`` for every mask.
        channels_reason: why ``channels`` was chosen, for the report (e.g. ``"--channels 1"``).
        colour_to_grey: with ``channels=1``, whether an image with distinct colour channels is made grey
            (otherwise it is rejected; an RGB file with equal channels is always accepted).
    """

    def __init__(
        self,
        channels: int | None = None,
        mask_threshold: float | None = None,
        channels_reason: str = "",
        colour_to_grey: bool = True,
    ) -> None:
        if channels not in (None, 1, 3):
            raise ValueError(f"channels must be 1, 3 or None, got {channels}.")
        self.channels = channels
        self.mask_threshold = mask_threshold
        self.channels_reason = channels_reason
        self.colour_to_grey = colour_to_grey
        self.converted: list[tuple[str, int]] = []  # (image file, channels it had)
        self.thresholded: list[tuple[str, int, int]] = []  # (mask file, pixels changed, pixels)

    def image(self, path: os.PathLike | str) -> np.ndarray:
        """Read an image as uint8 (H, W) or (H, W, 3) with the policy's channel count.

        Args:
            path: the image file.
        """
        image = read_image_2d(path)
        check_not_constant(image, path)
        image = to_uint8(image, path)
        stored = 3 if image.ndim == 3 else 1
        if self.channels is not None and stored != self.channels:
            image = convert_channels(image, self.channels, path, self.colour_to_grey)
            self.converted.append((str(path), stored))
        return image

    def mask(self, path: os.PathLike | str) -> np.ndarray:
        """Read a mask as a boolean (H, W) array with foreground and background.

        Args:
            path: the mask file.
        """
        mask, how = self._binarised(path)
        check_mask_not_trivial(mask, path, how)
        return mask

    def pair(self, image_path: os.PathLike | str, mask_path: os.PathLike | str) -> tuple[np.ndarray, np.ndarray]:
        """Read an image and its mask, which must be on the same pixel grid (checked before the mask's content).

        Args:
            image_path: the image file.
            mask_path: its mask file.
        """
        image, (mask, how) = self.image(image_path), self._binarised(mask_path)
        check_pair_shapes(image.shape, mask.shape, image_path, mask_path)
        check_mask_not_trivial(mask, mask_path, how)
        return image, mask

    def _binarised(self, path: os.PathLike | str) -> tuple[np.ndarray, str]:
        """The boolean mask and how it was binarised (for the messages); counts what a threshold changed."""
        values = read_mask_values(path)
        mask, changed = threshold_mask(values, path, self.mask_threshold)
        if self.mask_threshold is None:
            return mask, ""
        self.thresholded.append((str(path), changed, mask.size))
        return mask, f" with --mask-threshold {self.mask_threshold:g}, values {values.min():g}..{values.max():g}"

    def provenance(self) -> dict:
        """Datalist keys that record the policy (only what differs from the defaults)."""
        return {} if self.mask_threshold is None else {"mask_threshold": self.mask_threshold}

    def report(self) -> list[str]:
        """Lines naming every file the policy changed, with a total per kind of change."""
        lines = []
        if self.converted:
            target = _CHANNEL_NAMES[self.channels]
            reason = f" ({self.channels_reason})" if self.channels_reason else ""
            lines.append(f"channels: converted {len(self.converted)} image(s) to {target}{reason}:")
            lines += [f"  {path} ({_CHANNEL_NAMES[stored]} -> {target})" for path, stored in self.converted]
        if self.thresholded:
            changed = [(p, n, size) for p, n, size in self.thresholded if n]
            total = sum(n for _, n, _ in changed)
            lines.append(
                f"--mask-threshold {self.mask_threshold:g}: changed {total} pixel(s) in {len(changed)} of "
                f"{len(self.thresholded)} mask(s) (pixels strictly between a mask's lowest and highest value)"
                + (":" if changed else ".")
            )
            lines += [f"  {p}: {n} of {size} pixels" for p, n, size in changed]
        return lines
