"""configs/defense/augmentation.json stacked on the JSRT bundle's train.json, alone or after
configs/defense/adversarial_training.json: MONAI's random transforms move the image and its label together,
keep the pixels in [0, 255] and the label binary, and change the training chain only.

Synthetic 32 x 32 chest phantoms and 64 x 64 checkerboards; one tiny training with all three defense configs.
"""

from __future__ import annotations

import tempfile
import unittest
from pathlib import Path

import torch
from monai.bundle import ConfigParser
from monai.data import MetaTensor
from monai.transforms import Compose, Randomizable
from parameterized import parameterized

from nlcen_monai.data import jsrt_transforms, load_datalist
from tests.bundles.bundle_utils import copy_bundle, run_workflow
from tests.configs.test_adversarial_training_override import dataset
from tests.configs.test_weight_averaging_config import ONE_PGD_STEP, TINY

ROOT = Path(__file__).resolve().parents[2]
TRAIN = ROOT / "bundles" / "nlcen_jsrt" / "configs" / "train.json"
DEFENSE = ROOT / "configs" / "defense"
OVERRIDE = DEFENSE / "augmentation.json"
STACKS = [("alone", [OVERRIDE]), ("after_adversarial_training", [DEFENSE / "adversarial_training.json", OVERRIDE])]
NAMES = ("affine", "flip", "scale_intensity", "shift_intensity", "contrast", "blur", "noise")
NOISE_60 = {"augmentation#noise#std": 60.0, "augmentation#noise#sample_std": False}  # out of [0, 255] unless clipped


def parser(*files: Path, **override) -> ConfigParser:
    parser = ConfigParser()
    parser.read_config([str(TRAIN), *map(str, files)])
    parser.update({"image_size": 32, **override})
    return parser


def only(*names: str, **override) -> dict:
    """Settings that fire the named transforms always and the others never."""
    return {**{f"augmentation#{n}#prob": float(n in names) for n in NAMES}, **override}


def augment(item: dict, seed: int = 0, **override) -> dict:
    """``item`` through the training chain of train.json + augmentation.json, seeded."""
    chain = parser(OVERRIDE, **override).get_parsed_content("train#preprocessing")
    return chain.set_random_state(seed=seed)(item)


class TestTrainingChain(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = Path(cls.enterClassContext(tempfile.TemporaryDirectory()))
        cls.data = dataset(cls.work, "chest")
        cls.item = load_datalist(cls.data, "training")[0]
        cls.plain = jsrt_transforms(train=True, spatial_size=32)(cls.item)

    def test_every_transform_is_listed(self):
        self.assertEqual(tuple(parser(OVERRIDE).get_parsed_content("augmentation")), NAMES)

    def test_flipped_image_has_a_flipped_label(self):
        out = augment(self.item, **only("flip"))
        for key in ("image", "label"):  # spatial axis 0, the horizontal one of a MONAI-read PNG
            self.assertTrue(torch.equal(out[key].as_tensor(), torch.flip(self.plain[key].as_tensor(), dims=[1])), key)

    def test_without_random_transforms_the_chain_is_the_plain_one(self):
        out = augment(self.item, **only())
        for key in ("image", "label"):
            self.assertTrue(torch.equal(out[key].as_tensor(), self.plain[key].as_tensor()), key)

    @parameterized.expand([(seed,) for seed in range(4)])
    def test_pixels_stay_in_range_and_label_binary(self, seed):
        """Every transform fires, the noise strong enough to leave [0, 255] but for the clip."""
        out = augment(self.item, seed, **only(*NAMES, **NOISE_60))
        image, label = out["image"], out["label"]
        self.assertEqual((image.dtype, label.dtype, tuple(image.shape), tuple(label.shape)),
                         (torch.float32, torch.float32, (1, 32, 32), (1, 32, 32)))
        self.assertEqual((float(image.min()), float(image.max())), (0.0, 255.0))
        self.assertFalse(torch.equal(image.as_tensor(), self.plain["image"].as_tensor()))
        self.assertTrue(set(label.unique().tolist()) <= {0.0, 1.0})
        self.assertGreater(float(label.sum()), 0.0)

    @parameterized.expand([(seed,) for seed in range(4)])
    def test_affine_moves_image_and_label_together(self, seed):
        """An image that draws its label (a checkerboard of 8-pixel squares) still draws it after the affine map."""
        board = ((torch.arange(64)[:, None] // 8 + torch.arange(64)[None, :] // 8) % 2).float()[None]
        item = {"image": MetaTensor(20.0 + 200.0 * board), "label": MetaTensor(board.clone())}
        chain = Compose(list(parser(OVERRIDE, **only("affine")).get_parsed_content("augmentation").values()))
        out = chain.set_random_state(seed=seed)(item)
        drawn = (out["image"] > 120.0).float()
        self.assertGreater(float((drawn == out["label"]).float().mean()), 0.95)  # image and label agree
        self.assertLess(float((out["label"] == board).float().mean()), 0.9)  # and both moved

    @parameterized.expand(STACKS)
    def test_validation_chain_untouched(self, _, files):
        plain, stacked = parser(), parser(*files)
        self.assertEqual(stacked["validate#preprocessing"], plain["validate#preprocessing"])
        out = stacked.get_parsed_content("validate#preprocessing")(self.item)
        for key in ("image", "label"):
            self.assertTrue(torch.equal(out[key].as_tensor(), self.plain[key].as_tensor()), key)

    @parameterized.expand(STACKS)
    def test_loading_is_cached_augmentation_is_not(self, _, files):
        """CacheDataset keeps everything before the first random transform: the whole plain chain."""
        chain = parser(*files).get_parsed_content("train#preprocessing")
        first_random = chain.get_index_of_first(lambda t: isinstance(t, Randomizable))
        self.assertEqual(first_random, len(jsrt_transforms(train=True).transforms))

    def test_training_with_every_defense_config(self):
        """train.json + adversarial training + augmentation + weight averaging: one tiny epoch."""
        work = self.work / "train"
        work.mkdir()
        files = [str(DEFENSE / f"{n}.json") for n in ("adversarial_training", "augmentation", "weight_averaging")]
        settings = {"dataset_dir": self.data, "ckpt_dir": str(work / "models"), "output_dir": str(work / "eval"),
                    **TINY, **ONE_PGD_STEP, "epochs": 1, "val_interval": 1}
        workflow = run_workflow(copy_bundle("nlcen_jsrt", work), ["train.json", *files], work, demo=False, **settings)
        parse = workflow.parser.get_parsed_content
        self.assertIs(parse("train#dataset").transform, parse("train#preprocessing"))
        self.assertEqual(parse("train#trainer").state.epoch, 1)
        self.assertTrue((work / "models" / "model.pt").is_file())


if __name__ == "__main__":
    unittest.main()
