"""Tests for inference_transforms: any new image to the network's channels and size, and the prediction back to its grid."""

from __future__ import annotations

import tempfile
import unittest
from pathlib import Path

import torch
from monai.transforms import Invertd
from parameterized import parameterized
from PIL import Image

from nlcen_monai.data import chest_phantom, inference_transforms, lesion_phantom


class TestInferenceTransforms(unittest.TestCase):
    @parameterized.expand([("grey_to_grey", "chest", 1), ("rgb_to_grey", "lesion", 1), ("grey_to_rgb", "chest", 3), ("rgb", "lesion", 3)])
    def test_channels_size_and_inverse(self, _, kind, channels):
        image = chest_phantom(40, 0)[0] if kind == "chest" else lesion_phantom(40, 0)[0]
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "new.png"
            Image.fromarray(image[:, :30]).save(path)  # 40 rows, 30 columns
            chain = inference_transforms(spatial_size=32, num_channels=channels)
            out = chain({"image": str(path)})
        self.assertEqual(tuple(out["image"].shape), (channels, 32, 32))
        self.assertEqual(out["image"].dtype, torch.float32)
        self.assertGreater(float(out["image"].max()), 100)  # pixel domain, not normalised
        pred = out["image"][:1].clone()
        pred.applied_operations = out["image"].applied_operations
        back = Invertd("pred", transform=chain, orig_keys="image", nearest_interp=True)({**out, "pred": pred})
        self.assertEqual(tuple(back["pred"].shape), (1, 30, 40))  # MONAI's PIL axes: (columns, rows)


if __name__ == "__main__":
    unittest.main()
