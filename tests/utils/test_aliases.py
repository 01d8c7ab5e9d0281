"""The names that moved in the restructuring still resolve from their old packages for one release, with a FutureWarning."""

from __future__ import annotations

import importlib
import unittest
import warnings

from monai.utils.module import locate
from parameterized import parameterized

import nlcen_monai.data
import nlcen_monai.handlers
import nlcen_monai.prep
import nlcen_monai.utils

# (old package, name, new package) for names the README, a bundle config or another package used
MOVED = [
    ("nlcen_monai.data", "make_synthetic_dataset", nlcen_monai.prep),
    ("nlcen_monai.data", "DatasetWriter", nlcen_monai.prep),
    ("nlcen_monai.data", "read_image_2d", nlcen_monai.prep),
    ("nlcen_monai.data", "atomic_write_text", nlcen_monai.utils),
    ("nlcen_monai.workflows", "MatchChanneld", nlcen_monai.data),
    ("nlcen_monai.workflows", "SaveSegmentationd", nlcen_monai.data),
    ("nlcen_monai.workflows", "load_datalist", nlcen_monai.data),
    ("nlcen_monai.workflows", "list_images", nlcen_monai.data),
    ("nlcen_monai.workflows", "WrittenFilesCSV", nlcen_monai.handlers),
]


class TestMovedNames(unittest.TestCase):
    @parameterized.expand(MOVED)
    def test_old_name_resolves(self, old, name, new):
        module = importlib.import_module(old)
        module.__dict__.pop(name, None)  # as on first use
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            self.assertIs(getattr(module, name), getattr(new, name))
        self.assertTrue(any(issubclass(w.category, FutureWarning) and new.__name__ in str(w.message) for w in caught))
        self.assertIs(locate(f"{old}.{name}"), getattr(new, name))  # a bundle config's "_target_"

    def test_old_atomic_module(self):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            old = importlib.import_module("nlcen_monai.data.atomic")
        self.assertIs(old.atomic_write, nlcen_monai.utils.atomic_write)

    def test_unknown_name(self):
        with self.assertRaises(AttributeError):
            nlcen_monai.data.no_such_name  # noqa: B018


if __name__ == "__main__":
    unittest.main()
