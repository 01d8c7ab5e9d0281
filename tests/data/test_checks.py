"""Tests for the checks every reader applies: a constant image and NaN are named with their file."""

from __future__ import annotations

import unittest

import numpy as np
from parameterized import parameterized

from nlcen_monai.data import BadInputError, check_finite, check_not_constant


class TestChecks(unittest.TestCase):
    @parameterized.expand([((4, 5), np.uint8), ((4, 5, 3), np.uint8), ((4, 5), np.float32), ((3000, 3), np.uint16)])
    def test_constant(self, shape, dtype):
        with self.assertRaisesRegex(BadInputError, "^x: constant image"):
            check_not_constant(np.full(shape, 7, dtype), "x")
        image = np.full(shape, 7, dtype)
        image.reshape(-1)[-1] = 8  # one pixel differs, after any sample
        check_not_constant(image, "x")

    def test_finite(self):
        check_finite(np.array([[0.0, 1.0]]), "x")
        check_finite(np.array([[0, 255]], np.uint8), "x")
        for bad, word in ((np.nan, "NaN"), (np.inf, "infinite values")):
            with self.assertRaisesRegex(BadInputError, f"^x: image contains {word}"):
                check_finite(np.array([[bad, 1.0]]), "x")


if __name__ == "__main__":
    unittest.main()
