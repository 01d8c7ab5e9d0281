"""Tests for the converters' mask and pair checks: binary levels, thresholds, trivial masks, pair shapes."""

from __future__ import annotations

import unittest

import numpy as np
from parameterized import parameterized

from nlcen_monai.data import BadInputError
from nlcen_monai.prep import check_binary_mask, check_mask_not_trivial, check_pair_shapes, threshold_mask

BINARY = [
    (np.array([[0, 1], [1, 0]], np.uint8), [[False, True], [True, False]]),
    (np.array([[0, 255], [0, 0]], np.uint8), [[False, True], [False, False]]),
    (np.array([[0.0, 1.0], [0.0, 0.0]], np.float32), [[False, True], [False, False]]),
    (np.zeros((2, 2), np.uint8), [[False, False], [False, False]]),
    (np.array([[0, 65535]], np.uint16), [[False, True]]),  # 16-bit 0/max
    (np.array([[0, 65535]], np.int32), [[False, True]]),  # a 16-bit file widened by its reader
    (np.array([[0, 255]], np.uint16), [[False, True]]),  # 0/255 saved as 16 bits
    (np.array([[False, True]]), [[False, True]]),
    (np.full((1, 2), 65535, np.uint16), [[True, True]]),  # one level only: binary (rejected as full elsewhere)
]
NON_BINARY = [
    (np.array([[0, 1], [255, 0]], np.uint8),),
    (np.array([[0, 128]], np.uint8),),
    (np.array([[0.0, 0.5]]),),
    (np.array([[0, 1, 2, 3]], np.uint8),),  # hand-drawn levels
    (np.array([[0, 255, 65535]], np.uint16),),
]
# (mask, threshold, expected foreground, pixels strictly between the lowest and highest value)
THRESHOLDS = [
    (np.array([[0, 1, 2, 3]], np.uint8), 0, [[False, True, True, True]], 2),
    (np.array([[0, 1, 2, 3]], np.uint8), 1.5, [[False, False, True, True]], 2),
    (np.array([[0, 128, 255, 255]], np.uint8), 127, [[False, True, True, True]], 1),
    (np.array([[0, 65535]], np.uint16), 32767, [[False, True]], 0),
    (np.array([[0.0, 0.4, 0.6, 1.0]], np.float32), 0.5, [[False, False, True, True]], 2),
    (np.array([[False, True]]), 0, [[False, True]], 0),
]


class TestChecks(unittest.TestCase):
    @parameterized.expand(BINARY)
    def test_binary(self, mask, expected):
        np.testing.assert_array_equal(check_binary_mask(mask, "m.png"), expected)

    @parameterized.expand(NON_BINARY)
    def test_non_binary(self, mask):
        with self.assertRaisesRegex(BadInputError, "m.png: mask is not binary"):
            check_binary_mask(mask, "m.png")

    @parameterized.expand(NON_BINARY)
    def test_non_binary_suggests_threshold(self, mask):
        with self.assertRaisesRegex(BadInputError, "give --mask-threshold T to binarise it"):
            check_binary_mask(mask, "m.png")

    @parameterized.expand(THRESHOLDS)
    def test_threshold(self, mask, threshold, expected, changed):
        binary, count = threshold_mask(mask, "m.png", threshold)
        np.testing.assert_array_equal(binary, expected)
        self.assertEqual(count, changed)

    def test_no_threshold_is_strict(self):
        np.testing.assert_array_equal(threshold_mask(np.array([[0, 255]], np.uint8), "m", None)[0], [[False, True]])
        with self.assertRaisesRegex(BadInputError, "not binary"):
            threshold_mask(np.array([[0, 3]], np.uint8), "m", None)

    def test_trivial_masks(self):
        check_mask_not_trivial(np.array([[False, True]]), "m")
        with self.assertRaisesRegex(BadInputError, r"^m: mask is empty \(no foreground pixel\)"):
            check_mask_not_trivial(np.zeros((2, 2), bool), "m")
        with self.assertRaisesRegex(BadInputError, "^m: mask covers the whole image"):
            check_mask_not_trivial(np.ones((2, 2), bool), "m")

    def test_shapes(self):
        check_pair_shapes((64, 48), (64, 48), "i", "m")
        check_pair_shapes((64, 48), (32, 24), "i", "m", allow_integer_scale=True)
        for mask_shape, scale in (((32, 24), False), ((32, 48), True), ((30, 20), True)):
            with self.assertRaisesRegex(BadInputError, "^m: mask size"):
                check_pair_shapes((64, 48), mask_shape, "i", "m", allow_integer_scale=scale)


if __name__ == "__main__":
    unittest.main()
