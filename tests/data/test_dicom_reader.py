"""RadiographDicomReader: the DICOM display steps (modality LUT, window, MONOCHROME1), one frame as 2-D, spacing kept."""

from __future__ import annotations

import numpy as np
import pytest
from monai.transforms import LoadImage

from nlcen_monai.data import BadInputError, RadiographDicomReader, display_grey_levels
from tests.data.radiograph_files import write_dicom


RNG = np.random.default_rng(1)
GREY = np.concatenate([[0, 255], RNG.integers(0, 256, 10 * 12 - 2)]).astype(np.uint16).reshape(10, 12)


def _load(path, **kwargs):
    return LoadImage(image_only=True, reader=RadiographDicomReader(**kwargs), dtype=None)(str(path))


def test_monochrome2_and_monochrome1_give_the_8bit_grey_levels(tmp_path):
    plain = _load(write_dicom(tmp_path / "m2.dcm", GREY * 16))
    inverted = _load(write_dicom(tmp_path / "m1.dcm", 4095 - GREY * 16, photometric="MONOCHROME1"))
    assert plain.shape == (12, 10)  # columns first, as MONAI's PIL reader gives a PNG
    np.testing.assert_array_equal(plain.numpy().T, GREY)
    np.testing.assert_array_equal(inverted.numpy().T, GREY)
    rows_first = _load(tmp_path / "m2.dcm", swap_ij=False)
    np.testing.assert_array_equal(rows_first.numpy(), GREY)


def test_rescale_and_window_follow_the_standard(tmp_path):
    # stored s -> modality value 2 s - 100; window [900, 1900) over the modality values
    path = write_dicom(tmp_path / "w.dcm", GREY * 16, RescaleSlope=2, RescaleIntercept=-100, WindowCenter=1400, WindowWidth=1001)
    modality = GREY * 16 * 2.0 - 100
    expected = np.rint(np.clip((modality - 1399.5) / 1000 + 0.5, 0, 1) * 255)
    np.testing.assert_array_equal(_load(path).numpy().T, expected)
    assert 0 < (expected == 0).sum() and 0 < (expected == 255).sum()  # the window clips at both ends


def test_projection_radiograph_gets_its_pixel_spacing(tmp_path):
    image = _load(write_dicom(tmp_path / "s.dcm", GREY * 16))
    spacing = np.abs(np.diag(image.affine.numpy())[:2])
    np.testing.assert_allclose(spacing, [0.25, 0.5])  # (columns, rows) axes: PixelSpacing is [row, column]


def test_constant_image_without_window_and_several_frames_are_refused(tmp_path):
    with pytest.raises(Exception, match="constant image"):
        _load(write_dicom(tmp_path / "c.dcm", np.full((4, 4), 800, np.uint16)))
    import pydicom

    ds = pydicom.dcmread(write_dicom(tmp_path / "f.dcm", GREY * 16))
    ds.NumberOfFrames = 2
    with pytest.raises(BadInputError, match="2 frames"):
        display_grey_levels(ds, "f.dcm")
