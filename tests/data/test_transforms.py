"""Tests for the JSRT / ISBI 2016 transform chains and CheckImageLabeld."""

from __future__ import annotations

import tempfile
import unittest
from pathlib import Path

import nibabel as nib
import numpy as np
import torch
from parameterized import parameterized
from PIL import Image

from nlcen_monai.data import (
    BadInputError,
    JSRTImageReader,
    chest_phantom,
    isbi2016_transforms,
    jsrt_transforms,
    lesion_phantom,
)

# (chain factory, train, spatial size, channels)
CHAIN_CASES = [
    (jsrt_transforms, False, 32, 1),
    (jsrt_transforms, True, (24, 40), 1),
    (isbi2016_transforms, False, 32, 3),
    (isbi2016_transforms, True, 32, 3),
]


def bad_input_cause(error: BaseException) -> BadInputError:
    """The BadInputError under MONAI's "applying transform ..." RuntimeError."""
    while not isinstance(error, BadInputError):
        if error.__cause__ is None:
            raise AssertionError(f"no BadInputError in the chain of {error!r}")
        error = error.__cause__
    return error


class TestTransformChains(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.root = Path(self._tmp.name)
        grey, lung = chest_phantom(48, 0)
        rgb, lesion = lesion_phantom(60, 0)
        for name, image, mask in (("chest", grey, lung), ("lesion", rgb, lesion)):
            Image.fromarray(image).save(self.root / f"{name}.png")
            Image.fromarray(mask).save(self.root / f"{name}_mask.png")
        self.grey, self.lung = grey, lung

    def tearDown(self):
        self._tmp.cleanup()

    def pair(self, name: str) -> dict:
        return {"image": str(self.root / f"{name}.png"), "label": str(self.root / f"{name}_mask.png")}

    @parameterized.expand(CHAIN_CASES)
    def test_chain(self, factory, train, size, channels):
        chain = factory(train=train, spatial_size=size)
        name = "chest" if channels == 1 else "lesion"
        size = (size, size) if isinstance(size, int) else size
        for seed in range(3):
            chain.set_random_state(seed)
            out = chain(self.pair(name))
            image, label = out["image"], out["label"]
            self.assertEqual(tuple(image.shape), (channels, *size))
            self.assertEqual(tuple(label.shape), (1, *size))
            self.assertEqual((image.dtype, label.dtype), (torch.float32, torch.float32))
            self.assertTrue(0 <= float(image.min()) and float(image.max()) <= 255)
            self.assertGreater(float(image.max()), 100)  # pixel domain, not normalised
            self.assertTrue(set(torch.unique(label).tolist()) <= {0.0, 1.0} and label.sum() > 0)

    def test_image_and_label_stay_aligned(self):
        out = jsrt_transforms(spatial_size=48)(self.pair("chest"))
        image, label = out["image"][0].numpy(), out["label"][0].numpy().astype(bool)
        np.testing.assert_array_equal(label, self.lung.T.astype(bool))  # PILReader's reverse_indexing
        self.assertLess(image[label].mean(), image[~label].mean())

    def test_augmentation_varies(self):
        chain = isbi2016_transforms(train=True, spatial_size=32)
        outs = []
        for seed in range(4):
            chain.set_random_state(seed)
            outs.append(chain(self.pair("lesion"))["label"])
        self.assertTrue(any(not torch.equal(outs[0], o) for o in outs[1:]))
        plain = isbi2016_transforms(train=False, spatial_size=32)
        self.assertTrue(torch.equal(plain(self.pair("lesion"))["image"], plain(self.pair("lesion"))["image"]))

    def test_jsrt_raw_reader_in_chain(self):
        path = self.root / "JPCLN001.IMG"
        (4095 - self.grey.astype(np.uint16) * 16).astype(">u2").tofile(path)
        chain = jsrt_transforms(spatial_size=32, image_reader=JSRTImageReader(shape=(48, 48)))
        out = chain({"image": str(path), "label": str(self.root / "chest_mask.png")})
        self.assertEqual((tuple(out["image"].shape), tuple(out["label"].shape)), ((1, 32, 32), (1, 32, 32)))

    def test_nan_names_the_file(self):
        path = self.root / "nan.nii.gz"
        data = np.full((48, 48), 10.0, np.float32)
        data[3, 4] = np.nan
        nib.save(nib.Nifti1Image(data, np.eye(4)), path)
        with self.assertRaises(Exception) as ctx:
            jsrt_transforms(spatial_size=32)({"image": str(path), "label": str(self.root / "chest_mask.png")})
        self.assertIn(f"{path}: image contains NaN", str(bad_input_cause(ctx.exception)))

    @parameterized.expand(
        [
            ("channels", "lesion.png", "chest_mask.png", "expected 1 channel"),
            ("label_values", "chest.png", "chest.png", "not binary"),
            ("label_size", "chest.png", "lesion_mask.png", "does not match"),
        ]
    )
    def test_bad_pair(self, _, image, label, words):
        data = {"image": str(self.root / image), "label": str(self.root / label)}
        with self.assertRaises(Exception) as ctx:
            jsrt_transforms(spatial_size=32)(data)
        cause = bad_input_cause(ctx.exception)
        self.assertIn(words, str(cause))
        self.assertIn(label if words != "expected 1 channel" else image, str(cause))


if __name__ == "__main__":
    unittest.main()
