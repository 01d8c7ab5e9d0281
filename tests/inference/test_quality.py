"""Quality flags: the measures of a mask, the ranges of reference masks, and the verdict on an implausible mask."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from monai.data import MetaTensor

from nlcen_monai.inference import MaskQualityd, MaskUncertaintyd, QualityRanges, mask_measures, uncertain_fraction
from nlcen_monai.inference.quality_ranges import main as quality_ranges_main
from tests.bundles.bundle_utils import REPO


def _two_lungs(size: int = 40, left: int = 10, right: int = 8) -> np.ndarray:
    """MONAI's layout (x, y): two lungs, ``left`` and ``right`` columns wide, 20 rows tall."""
    mask = np.zeros((size, size), np.uint8)
    mask[4 : 4 + left, 10:30] = 1
    mask[size - 4 - right : size - 4, 10:30] = 1
    return mask


def test_measures():
    measures = mask_measures(_two_lungs())
    assert measures == {"lung_fraction": 360 / 1600, "components": 2.0, "left_right_balance": 0.8}
    joined = _two_lungs()
    joined[:, 18:20] = 1  # a band across the mediastinum joins both lungs
    assert mask_measures(joined)["components"] == 1.0
    assert mask_measures(np.zeros((8, 8)))["left_right_balance"] == 0.0


def test_implausible_mask_is_flagged():
    ranges = QualityRanges.from_masks([_two_lungs(), _two_lungs(left=8, right=10), _two_lungs(left=12, right=12)])
    assert ranges.lung_fraction == (360 / 1600, 480 / 1600) and ranges.components == (2.0, 2.0)
    assert ranges.verdict(mask_measures(_two_lungs(left=9, right=9))) == "ok"
    spilled = np.ones((40, 40), np.uint8)  # everything is lung: one component, far too much area
    verdict = ranges.verdict(mask_measures(spilled))
    assert verdict.startswith("check: ") and "lung_fraction 1 > 0.3" in verdict and "components 1 < 2" in verdict
    item = MaskQualityd("pred", ranges)({"pred": MetaTensor(torch.from_numpy(spilled)[None])})
    assert item["quality"]["quality"] == verdict and item["quality"]["components"] == 1.0


def test_uncertainty_is_measured_on_the_logits_and_judged_when_it_has_a_range():
    logits = torch.zeros(2, 10, 10)
    logits[0, :, 6:] = 5.0  # 40 sure background pixels
    logits[1, :, :4] = 5.0  # 40 sure lung pixels
    logits[1, :, 4:6] = 0.5  # 20 unsure ones (probability 0.62)
    assert uncertain_fraction(logits) == 20 / 60  # per pixel called lung (probability > 0.5)
    ranges = QualityRanges.from_masks([_two_lungs()])
    item = MaskUncertaintyd("pred")({"pred": logits})
    item["pred"] = torch.from_numpy(_two_lungs())[None]
    assert MaskQualityd("pred", ranges)(item)["quality"]["quality"] == "ok"  # no range for it: not judged
    ranges.uncertain_fraction = (0.0, 0.2)
    record = MaskQualityd("pred", ranges)(item)["quality"]
    assert record["quality"] == "check: uncertain_fraction 0.333 > 0.2" and record["uncertain_fraction"] == 0.3333
    assert MaskQualityd("pred", None)(item)["quality"]["quality"] == "unchecked (no quality ranges)"


def test_ranges_round_trip_and_command(tmp_path):
    from PIL import Image

    masks = tmp_path / "masks"
    masks.mkdir()
    items = []
    for i, (left, right) in enumerate([(10, 8), (9, 9)]):
        Image.fromarray(_two_lungs(left=left, right=right).T * 255).save(masks / f"c{i}.png")  # rows first on disk
        items.append({"image": f"masks/c{i}.png", "label": f"masks/c{i}.png"})
    (tmp_path / "datalist.json").write_text(json.dumps({"training": items}))
    quality_ranges_main([str(tmp_path), str(tmp_path / "q.json"), "--source", "two masks"])
    ranges = QualityRanges.load(tmp_path / "q.json")
    assert ranges.left_right_balance == (0.8, 1.0) and ranges.source == "two masks"


def test_shipped_ranges_are_the_jsrt_training_masks():
    ranges = QualityRanges.load(REPO / "bundles" / "nlcen_jsrt" / "configs" / "quality_ranges.json")
    assert ranges.components == (2.0, 2.0) and 0.1 < ranges.lung_fraction[0] < ranges.lung_fraction[1] < 0.6
    assert "124 JSRT training masks" in ranges.source and "every 9th of the 'test' images" in ranges.uncertainty_source
    assert ranges.uncertain_fraction[0] == 0.0 < ranges.uncertain_fraction[1]
    with pytest.raises(ValueError):
        QualityRanges.from_masks([])
