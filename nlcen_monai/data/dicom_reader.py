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
"""Read a DICOM radiograph as a clinic's viewer shows it: display grey levels 0..255.

Radiographs are stored with 10 to 16 bits (``BitsStored``), often with a modality transform
(``RescaleSlope``/``RescaleIntercept`` or a Modality LUT), a VOI transform that says which values to show
(``WindowCenter``/``WindowWidth``, or a VOI LUT), and sometimes inverted (``MONOCHROME1``: the lowest
value is white). :class:`RadiographDicomReader` is MONAI's ``PydicomReader`` with these display steps
applied to the pixels (and, for a projection radiograph, which has no patient position, an
axis-aligned geometry at its ``PixelSpacing``), in the order of the DICOM standard (PS3.3 C.11):

1. the modality transform (pydicom's ``apply_modality_lut``);
2. the first VOI transform when the file has one: a VOI LUT (pydicom's ``apply_voi_lut``, scaled from its
   output bits to 0..255), else the window (``LINEAR``, ``LINEAR_EXACT`` or ``SIGMOID``, as
   ``VOILUTFunction`` says) mapped to 0..255; without one, the image's own minimum and maximum are
   stretched to 0..255 (the rule of :func:`~nlcen_monai.data.to_uint8` for any other file);
3. ``MONOCHROME1``: 255 minus the value, so that the lungs are dark as in the training images.

Values are rounded to whole grey levels, as an 8-bit export would be. A file of one frame (also a
multi-frame object holding one) is a 2-D image; a colour file is read as its RGB pixels. Written by hand
because neither MONAI's DICOM readers nor ITK's apply the VOI transform, and ITK's handling of
``MONOCHROME1`` depends on its version.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
from monai.data import PydicomReader
from monai.utils import ensure_tuple

from nlcen_monai.data.checks import BadInputError, check_finite, check_not_constant
from nlcen_monai.data.suffixes import DICOM_SUFFIXES

__all__ = ["RadiographDicomReader", "display_grey_levels"]


def _first(value: object) -> float:
    """The first of a multi-valued DICOM number (``WindowCenter`` may hold several windows)."""
    return float(value[0]) if isinstance(value, Sequence) and not isinstance(value, str) else float(value)


def _window(values: np.ndarray, center: float, width: float, function: str) -> np.ndarray:
    """The VOI window of PS3.3 C.11.2.1.2 with an output range of [0, 255]."""
    if function == "SIGMOID":
        return 255.0 / (1.0 + np.exp(-4.0 * (values - center) / width))
    if function == "LINEAR_EXACT":
        scaled = (values - center) / width + 0.5
    else:  # LINEAR, the default
        if width < 1:
            raise ValueError(f"WindowWidth {width} is below 1, which the LINEAR function does not allow")
        scaled = (values - (center - 0.5)) / max(width - 1.0, 1e-12) + 0.5
    return np.clip(scaled, 0.0, 1.0) * 255.0


def display_grey_levels(ds, filename: os.PathLike | str = "") -> np.ndarray:
    """The pixels of a pydicom dataset as display grey levels 0..255 (float32, rows first), by the module's rule.

    Args:
        ds: a ``pydicom.Dataset`` with pixel data.
        filename: the file it was read from, for the error messages.

    Raises:
        BadInputError: several frames, NaN, or a constant image without a VOI transform.
    """
    from pydicom.pixels import apply_modality_lut, apply_voi_lut

    source = filename or "DICOM dataset"
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    if frames > 1:
        raise BadInputError(f"{source}: a DICOM object of {frames} frames; expected one radiograph.")
    try:
        stored = ds.pixel_array
    except Exception as e:  # pydicom raises many types for missing or undecodable pixel data
        raise BadInputError(f"{source}: unreadable DICOM pixel data ({type(e).__name__}: {e}).") from e
    if int(ds.get("SamplesPerPixel", 1)) != 1:
        return stored.astype(np.float32)  # colour: its RGB pixels, made grey by the channel matching
    values = np.asarray(apply_modality_lut(stored, ds), dtype=np.float64)
    check_finite(values, source)
    if "VOILUTSequence" in ds and len(ds.VOILUTSequence):
        bits = int(ds.VOILUTSequence[0].LUTDescriptor[2])
        grey = np.asarray(apply_voi_lut(values, ds, index=0, prefer_lut=True), np.float64) * (255.0 / (2**bits - 1))
    elif "WindowCenter" in ds and "WindowWidth" in ds:
        function = str(ds.get("VOILUTFunction", "LINEAR") or "LINEAR").strip().upper()
        try:
            grey = _window(values, _first(ds.WindowCenter), _first(ds.WindowWidth), function)
        except ValueError as e:
            raise BadInputError(f"{source}: {e}.") from e
    else:
        check_not_constant(values, source)
        lo, hi = float(values.min()), float(values.max())
        grey = (values - lo) * (255.0 / (hi - lo))
    if str(ds.get("PhotometricInterpretation", "")).strip().upper() == "MONOCHROME1":
        grey = 255.0 - grey
    return np.rint(np.clip(grey, 0.0, 255.0)).astype(np.float32)


class RadiographDicomReader(PydicomReader):
    """MONAI's ``PydicomReader`` giving display grey levels 0..255 (:func:`display_grey_levels`).

    Use it wherever a DICOM radiograph is loaded, e.g. ``LoadImaged("image", reader=RadiographDicomReader())``:
    ``LoadImage`` tries it first and falls back to its own readers for the other suffixes. The first two
    axes are swapped (as ``PydicomReader`` and MONAI's PIL reader do) unless ``swap_ij`` is False.

    Args:
        swap_ij: swap the first two spatial axes (MONAI's layout), or keep rows first.
        kwargs: further arguments of ``PydicomReader``.
    """

    def __init__(self, swap_ij: bool = True, **kwargs) -> None:
        super().__init__(swap_ij=swap_ij, **kwargs)

    def verify_suffix(self, filename: Sequence[os.PathLike | str] | os.PathLike | str) -> bool:
        return all(str(name).lower().endswith(DICOM_SUFFIXES) for name in ensure_tuple(filename))

    def _get_array_data(self, img, filename):
        return display_grey_levels(img, filename)

    def _get_affine(self, metadata: dict, lps_to_ras: bool = True) -> np.ndarray:
        """A projection radiograph has no patient position or orientation: axis-aligned, at its ``PixelSpacing``.

        ``PydicomReader`` warns and returns the identity (spacing lost) for such a file; a CT or MR slice
        keeps its own geometry.
        """
        if not ("00200037" in metadata and "00200032" in metadata):
            metadata = {**metadata, "00200037": {"Value": [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]}, "00200032": {"Value": [0.0] * 3}}
        return super()._get_affine(metadata, lps_to_ras)
