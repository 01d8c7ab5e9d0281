"""Tests for make_synthetic_dataset: format, determinism, idempotence."""

from __future__ import annotations

import json
import os
import tempfile
import unittest
from pathlib import Path

import numpy as np
from monai.data import load_decathlon_datalist
from parameterized import parameterized
from PIL import Image

from nlcen_monai.data import isbi2016_transforms, jsrt_transforms
from nlcen_monai.prep import make_synthetic_dataset


class TestMakeSyntheticDataset(unittest.TestCase):
    @parameterized.expand([("chest", 1), ("lesion", 3)])
    def test_dataset(self, kind, channels):
        with tempfile.TemporaryDirectory() as tmp:
            path = make_synthetic_dataset(tmp, num_train=3, num_test=2, size=40, seed=0, kind=kind)
            self.assertEqual(path, str(Path(tmp) / "datalist.json"))
            train = load_decathlon_datalist(path, data_list_key="training")
            test = load_decathlon_datalist(path, data_list_key="test")
            self.assertEqual((len(train), len(test)), (3, 2))
            chain = (jsrt_transforms if kind == "chest" else isbi2016_transforms)(spatial_size=32)
            sample = chain(test[0])
            self.assertEqual(tuple(sample["image"].shape), (channels, 32, 32))
            self.assertEqual(tuple(sample["label"].shape), (1, 32, 32))

    def test_seeded_and_idempotent(self):
        with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
            make_synthetic_dataset(a, 2, 1, 32, seed=3)
            make_synthetic_dataset(b, 2, 1, 32, seed=3)
            for name in ("images/chest_training_0001.png", "masks/chest_test_0000.png"):
                np.testing.assert_array_equal(np.asarray(Image.open(Path(a) / name)), np.asarray(Image.open(Path(b) / name)))
            image = Path(a) / "images" / "chest_training_0000.png"
            stamp = image.stat().st_mtime_ns
            os.utime(image, ns=(stamp - 10**9, stamp - 10**9))
            make_synthetic_dataset(a, 2, 1, 32, seed=3)  # same dataset: nothing rewritten
            self.assertEqual(image.stat().st_mtime_ns, stamp - 10**9)
            make_synthetic_dataset(a, 2, 1, 32, seed=4)  # other seed: regenerated
            self.assertEqual(json.loads((Path(a) / "datalist.json").read_text())["synthetic"]["seed"], 4)
            self.assertNotEqual(image.stat().st_mtime_ns, stamp - 10**9)

    def test_regenerates_missing_file(self):
        with tempfile.TemporaryDirectory() as tmp:
            make_synthetic_dataset(tmp, 2, 1, 32)
            (Path(tmp) / "masks" / "chest_test_0000.png").unlink()
            make_synthetic_dataset(tmp, 2, 1, 32)
            self.assertTrue((Path(tmp) / "masks" / "chest_test_0000.png").is_file())

    @parameterized.expand([({"kind": "brain"},), ({"num_train": 0, "num_test": 0},)])
    def test_bad_arguments(self, kwargs):
        with tempfile.TemporaryDirectory() as tmp, self.assertRaises(ValueError):
            make_synthetic_dataset(tmp, **{"num_train": 1, "num_test": 1, **kwargs})


if __name__ == "__main__":
    unittest.main()
