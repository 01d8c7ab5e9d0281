"""The grey-level rule shared by training and inference: 8-bit kept, 12/16-bit and float stretched, constant refused."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from monai.data import MetaTensor

from nlcen_monai.data import BadInputError, GreyLevelsd, to_uint8

RNG = np.random.default_rng(0)
GREY = np.concatenate([[0, 255], RNG.integers(0, 256, 62)]).astype(np.uint8).reshape(8, 8)


def test_8bit_and_its_wider_copies_give_the_same_grey_levels():
    np.testing.assert_array_equal(to_uint8(GREY, "x"), GREY)
    np.testing.assert_array_equal(to_uint8(GREY.astype(np.uint16) * 257, "x"), GREY)  # 16-bit
    np.testing.assert_array_equal(to_uint8(np.rint(GREY * (4095 / 255)).astype(np.uint16), "x"), GREY)  # 12-bit
    np.testing.assert_array_equal(to_uint8(GREY / 255.0, "x"), GREY)  # float in [0, 1]
    np.testing.assert_array_equal(to_uint8(GREY.astype(np.int32), "x"), GREY)  # integers already in 0..255


def test_wide_image_is_stretched_from_its_minimum_to_its_maximum():
    np.testing.assert_array_equal(to_uint8(np.array([[0, 7]], np.int32), "x"), [[0, 7]])
    np.testing.assert_array_equal(to_uint8(np.array([[100, 1100]], np.uint16), "x"), [[0, 255]])


def test_constant_wide_image_is_refused_naming_the_file():
    with pytest.raises(BadInputError, match="scan.png: constant image"):
        to_uint8(np.full((4, 4), 1000, np.uint16), "scan.png")


def test_nan_is_refused_naming_the_file():
    with pytest.raises(BadInputError, match="scan.png: image contains NaN"):
        to_uint8(np.array([[np.nan, 1.0]]), "scan.png")


def test_transform_applies_the_rule_channel_first_and_keeps_metadata():
    image = MetaTensor(torch.from_numpy(GREY.astype(np.int32) * 257)[None], meta={"filename_or_obj": "a.png"})
    out = GreyLevelsd("image")({"image": image})["image"]
    assert isinstance(out, MetaTensor) and out.dtype == torch.float32 and out.meta["filename_or_obj"] == "a.png"
    np.testing.assert_array_equal(out[0].numpy(), GREY)
    rgb = MetaTensor(torch.from_numpy(np.stack([GREY, GREY // 2, GREY // 3]).astype(np.int32) * 257))
    np.testing.assert_array_equal(GreyLevelsd("image")({"image": rgb})["image"][0].numpy(), GREY)  # one stretch for all channels
    with pytest.raises(BadInputError, match="blank.png"):
        GreyLevelsd("image")({"image": MetaTensor(torch.full((1, 4, 4), 7000), meta={"filename_or_obj": "blank.png"})})
