"""Tests for the segmentation writer's column names (the transform itself: tests/handlers/test_written_files.py)."""

from __future__ import annotations

import pytest

from nlcen_monai.data import mask_column


@pytest.mark.parametrize("ext, column", [(".nii.gz", "mask_nii"), (".png", "mask_png"), (".NRRD", "mask_nrrd")])
def test_mask_column(ext, column):
    assert mask_column(ext) == column
