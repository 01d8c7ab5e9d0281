"""Inside a bundle each setting is said once: an override file does not restate train.json, and inference.json
(which must stand alone for monai.bundle.load and ckpt_export) agrees with train.json on what it repeats."""

from __future__ import annotations

import json

import pytest

from tests.bundles.bundle_utils import REPO

BUNDLES = ["nlcen_jsrt", "nlcen_isbi2016"]
OVERRIDES = ["evaluate.json", "adversarial.json", "multi_gpu_train.json", "multi_gpu_adversarial.json"]
# inference.json's own settings: where it reads the model (null: the released one), writes, what it imports and runs
INFERENCE_OWN = {"imports", "ckpt_dir", "output_dir", "run"}


def load(bundle: str, name: str) -> dict:
    return json.loads((REPO / "bundles" / bundle / "configs" / name).read_text())


@pytest.mark.parametrize("bundle", BUNDLES)
@pytest.mark.parametrize("override", OVERRIDES)
def test_override_does_not_restate_train(bundle, override):
    train, config = load(bundle, "train.json"), load(bundle, override)
    restated = [k for k, v in config.items() if k in train and train[k] == v]
    assert restated == [], f"{override} restates train.json's {restated}"


@pytest.mark.parametrize("bundle", BUNDLES)
def test_inference_agrees_with_train(bundle):
    train, inference = load(bundle, "train.json"), load(bundle, "inference.json")
    shared = sorted((inference.keys() & train.keys()) - INFERENCE_OWN)
    assert "network_def" in shared
    assert {k: inference[k] for k in shared} == {k: train[k] for k in shared}


@pytest.mark.parametrize("bundle", BUNDLES)
@pytest.mark.parametrize("name", ["multi_gpu_train.json", "multi_gpu_adversarial.json"])
def test_multi_gpu_extends_lists(bundle, name):
    """The multi-GPU files append to train.json's imports and initialize (``+``) instead of copying them."""
    config = load(bundle, name)
    assert "initialize" not in config and "imports" not in config and "is_rank0" not in config
    assert set(config["+initialize"]).isdisjoint(load(bundle, "train.json")["initialize"])
