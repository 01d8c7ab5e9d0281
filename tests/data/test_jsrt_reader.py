"""Tests for JSRTImageReader: MONAI's LoadImage with an instance, a class, a dotted name, a bundle config, the chains."""

from __future__ import annotations

import tempfile
import unittest
from pathlib import Path

import numpy as np
from monai.bundle import ConfigParser
from monai.transforms import Compose, LoadImage, LoadImaged
from parameterized import parameterized
from PIL import Image

from nlcen_monai.data import BadInputError, JSRTImageReader, jsrt_to_grey, load_image_transforms

SHAPE = (6, 10)  # rows, columns: non-square so that an axis swap shows


def write_raw(path: Path, shape=SHAPE, seed=0) -> np.ndarray:
    raw = np.random.default_rng(seed).integers(0, 4096, size=shape, dtype=np.uint16)
    raw.astype(">u2").tofile(path)
    return raw


# (imports, reader entry of a bundle config)
BUNDLE_CONFIGS = [
    ([], {"_target_": "nlcen_monai.data.JSRTImageReader", "shape": list(SHAPE)}),
    (["$from nlcen_monai.data import JSRTImageReader"], "$JSRTImageReader(shape=(6, 10))"),
]


# (how the reader is given to LoadImaged, how the file is broken, words of the message)
READER_ERRORS = [
    (reader, breaker, words)
    for reader in ("instance", "class", "dotted_name", "chain")
    for breaker, words in (("truncated", "truncated JSRT raw file"), ("too_long", "wrong size"), ("constant", "constant image"))
]


def _loader(how: str) -> LoadImaged:
    """A ``LoadImaged("image")`` given the reader by instance, class or dotted name, or the chains' own loader."""
    if how == "chain":  # no reader named: load_image_transforms registers JSRTImageReader itself
        return load_image_transforms("image")[0]
    reader = {"instance": JSRTImageReader(shape=(2048, 2048)), "class": JSRTImageReader}.get(how, "nlcen_monai.data.JSRTImageReader")
    return LoadImaged("image", reader=reader, image_only=True)


class TestJSRTImageReader(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.path = Path(self._tmp.name) / "JPCLN001.IMG"
        self.raw = write_raw(self.path)
        # PILReader-compatible orientation: spatial axes swapped
        self.expected = jsrt_to_grey(self.raw, invert=True).T.astype(np.float32)

    def tearDown(self):
        self._tmp.cleanup()

    def test_instance(self):
        image = LoadImage(reader=JSRTImageReader(shape=SHAPE), image_only=True)(self.path)
        self.assertEqual(tuple(image.shape), SHAPE[::-1])
        np.testing.assert_array_equal(image.numpy(), self.expected)
        self.assertEqual(str(image.meta["filename_or_obj"]), str(self.path))

    def test_polarity_and_indexing_options(self):
        reader = JSRTImageReader(shape=SHAPE, invert=False, reverse_indexing=False)
        image = LoadImage(reader=reader, image_only=True)(self.path)
        np.testing.assert_array_equal(image.numpy(), jsrt_to_grey(self.raw, invert=False))

    def test_channel_first_and_stacking(self):
        second = self.path.with_name("JPCLN002.IMG")
        write_raw(second, seed=1)
        data = LoadImaged("image", reader=JSRTImageReader(shape=SHAPE), ensure_channel_first=True)(
            {"image": [str(self.path), str(second)]}
        )
        self.assertEqual(tuple(data["image"].shape), (2,) + SHAPE[::-1])
        single = LoadImaged("image", reader=JSRTImageReader(shape=SHAPE), ensure_channel_first=True)({"image": self.path})
        self.assertEqual(tuple(single["image"].shape), (1,) + SHAPE[::-1])

    @parameterized.expand([("nlcen_monai.data.JSRTImageReader",), (JSRTImageReader,)])
    def test_by_name_or_class(self, reader):
        full = self.path.with_name("JPCNN001.IMG")
        raw = write_raw(full, shape=(2048, 2048))
        image = LoadImaged("image", reader=reader, image_only=True)({"image": full})["image"]
        np.testing.assert_array_equal(image.numpy(), jsrt_to_grey(raw).T)

    @parameterized.expand(BUNDLE_CONFIGS)
    def test_bundle_config(self, imports, reader_config):
        config = {
            "imports": imports,
            "reader": reader_config,
            "load": {"_target_": "LoadImaged", "keys": "image", "reader": "@reader", "image_only": True},
        }
        load = ConfigParser(config).get_parsed_content("load")
        np.testing.assert_array_equal(load({"image": self.path})["image"].numpy(), self.expected)

    def test_verify_suffix(self):
        reader = JSRTImageReader()
        self.assertTrue(reader.verify_suffix(self.path))
        self.assertTrue(reader.verify_suffix("x/JPCLN001.img"))
        self.assertFalse(reader.verify_suffix("x/JPCLN001.png"))
        self.path.with_suffix(".hdr").write_bytes(b"")  # an Analyze pair is not JSRT
        self.assertFalse(reader.verify_suffix(self.path))

    def test_not_registered_globally(self):
        """Importing the reader leaves MONAI's default readers alone; the chains register it on their own loader."""
        self.assertFalse(any(isinstance(r, JSRTImageReader) for r in LoadImage(image_only=True).readers))
        full = self.path.with_name("JPCNN001.IMG")
        raw = write_raw(full, shape=(2048, 2048))
        image = load_image_transforms("image")[0]({"image": str(full)})["image"]
        np.testing.assert_array_equal(image.numpy(), jsrt_to_grey(raw).T)

    def test_truncated_file_names_the_file(self):
        self.path.write_bytes(self.path.read_bytes()[:-2])
        with self.assertRaises(Exception) as ctx:
            LoadImage(reader=JSRTImageReader(shape=SHAPE))(self.path)
        self.assertIn(str(self.path), str(ctx.exception))
        self.assertIn("truncated", str(ctx.exception))

    @parameterized.expand(READER_ERRORS)
    def test_reader_error_reaches_the_user(self, how, breaker, words):
        """Not MONAI's "cannot find a suitable reader ... install the reader libraries": the file's own problem."""
        path = self.path.with_name("JPCLN002.IMG")
        size = 2048 * 2048 * 2
        if breaker == "constant":
            np.full((2048, 2048), 1000, ">u2").tofile(path)
        else:
            path.write_bytes(b"\0" * (size // 2 if breaker == "truncated" else size + 2))
        with self.assertRaises(BadInputError) as ctx:
            _loader(how)({"image": path})
        self.assertTrue(str(ctx.exception).startswith(f"{path}: {words}"), str(ctx.exception))
        with self.assertRaises(RuntimeError) as ctx:  # in a Compose, MONAI names the transform and chains the error
            Compose([_loader(how)])({"image": path})
        self.assertIsInstance(ctx.exception.__cause__, BadInputError)
        self.assertNotIn("suitable reader", str(ctx.exception.__cause__))

    def test_other_files_still_fall_through(self):
        """A PNG given to a LoadImage with the JSRT reader is not claimed: MONAI's PIL reader reads it."""
        png = self.path.with_name("x.png")
        Image.fromarray(np.arange(12, dtype=np.uint8).reshape(3, 4)).save(png)
        image = LoadImage(reader=JSRTImageReader(shape=SHAPE), image_only=True)(png)
        self.assertEqual(tuple(image.shape), (4, 3))

    def test_bad_shape(self):
        with self.assertRaises(ValueError):
            JSRTImageReader(shape=(0, 5))


if __name__ == "__main__":
    unittest.main()
