"""Tests for the JSRT / ISBI 2016 transform chains and CheckImageLabeld."""

from __future__ import annotations

import tempfile
import unittest
from pathlib import Path

import nibabel as nib
import numpy as np
import torch
from monai.utils import set_determinism
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
from nlcen_monai.data.transforms import KEYS, pixel_domain_transforms


def augmented_jsrt(train: bool = True, spatial_size=32, **kwargs):
    """``jsrt_transforms`` with ``augment=True``."""
    return jsrt_transforms(train=train, spatial_size=spatial_size, augment=True, **kwargs)


# (chain factory, train, spatial size, channels)
CHAIN_CASES = [
    (jsrt_transforms, False, 32, 1),
    (jsrt_transforms, True, (24, 40), 1),
    (augmented_jsrt, True, (24, 40), 1),
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

    def test_jsrt_augmentation(self):
        """Images stay in [0, 255], labels binary and aligned; the draws vary with the seed and repeat with it."""
        outs = []
        for seed in range(8):
            chain = augmented_jsrt(spatial_size=48)
            chain.set_random_state(seed)
            outs.append(chain(self.pair("chest")))
        for out in outs:
            image, label = out["image"], out["label"]
            self.assertTrue(0.0 <= float(image.min()) and float(image.max()) <= 255.0)
            self.assertTrue(set(torch.unique(label).tolist()) <= {0.0, 1.0} and label.sum() > 0)
            self.assertLess(float(image[label > 0].mean()), float(image[label == 0].mean()))  # lungs dark: aligned
        plain = jsrt_transforms(train=True, spatial_size=48)(self.pair("chest"))
        self.assertTrue(any(not torch.equal(plain["label"], o["label"]) for o in outs))  # geometry
        self.assertTrue(any(not torch.equal(plain["image"], o["image"]) for o in outs))
        again = augmented_jsrt(spatial_size=48)
        again.set_random_state(5)
        torch.testing.assert_close(again(self.pair("chest"))["image"], outs[5]["image"], rtol=0, atol=0)

    def test_jsrt_augmentation_deterministic_under_set_determinism(self):
        runs = []
        for seed in (3, 3, 4):
            set_determinism(seed)
            chain = augmented_jsrt(spatial_size=48)
            runs.append([chain(self.pair("chest"))["image"] for _ in range(3)])
        set_determinism(None)
        for a, b in zip(runs[0], runs[1]):
            torch.testing.assert_close(a, b, rtol=0, atol=0)
        self.assertTrue(any(not torch.equal(a, c) for a, c in zip(runs[0], runs[2])))

    def test_jsrt_default_is_the_unaugmented_chain(self):
        """``augment=False`` (the paper's protocol) and evaluation chains are the plain pixel-domain chain, bit for bit."""
        plain = pixel_domain_transforms(48, image_channels=1)
        want = plain[0](self.pair("chest"))
        for t in plain[1:]:
            want = t(want)
        for chain in (jsrt_transforms(train=True, spatial_size=48), augmented_jsrt(train=False, spatial_size=48)):
            out = chain(self.pair("chest"))
            for key in KEYS:
                torch.testing.assert_close(out[key].as_tensor(), want[key].as_tensor().float(), rtol=0, atol=0)

    def test_jsrt_flip_is_horizontal(self):
        """Spatial axis 0 of a MONAI-read PNG is the image's horizontal (PILReader's reverse_indexing)."""
        from monai.transforms import Flipd

        out = Flipd(KEYS, spatial_axis=0)(jsrt_transforms(spatial_size=48)(self.pair("chest")))
        np.testing.assert_array_equal(out["label"][0].numpy().T.astype(bool), self.lung[:, ::-1].astype(bool))

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
