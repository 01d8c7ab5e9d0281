"""EnsurePlanard: a one-slice volume becomes 2-D (affine updated), a true volume is refused naming the file."""

from __future__ import annotations

import pytest
import torch
from monai.data import MetaTensor

from nlcen_monai.data import BadInputError, EnsurePlanard


def test_one_slice_volume_becomes_2d():
    image = MetaTensor(torch.rand(1, 5, 6, 1), affine=torch.diag(torch.tensor([0.5, 0.25, 3.0, 1.0], dtype=torch.float64)))
    out = EnsurePlanard("image")({"image": image})["image"]
    assert out.shape == (1, 5, 6) and out.affine.shape == (3, 3)
    torch.testing.assert_close(torch.diag(out.affine)[:2], torch.tensor([0.5, 0.25], dtype=torch.float64))
    same = MetaTensor(torch.rand(1, 5, 6))
    assert EnsurePlanard("image")({"image": same})["image"].shape == (1, 5, 6)


def test_volume_is_refused():
    volume = MetaTensor(torch.rand(1, 5, 6, 3), meta={"filename_or_obj": "ct.nii.gz"})
    with pytest.raises(BadInputError, match=r"ct.nii.gz: expected a 2-D image, got spatial shape \(5, 6, 3\)"):
        EnsurePlanard("image")({"image": volume})
