"""configs/defense/weight_averaging.json stacked on the JSRT bundle's train.json, alone or after
configs/defense/adversarial_training.json: Ignite's ``EMAHandler`` averages the trained weights, and the
average is what the validation scores and what ``models/model.pt`` holds; ``--resume true`` restores it.

Tiny runs: 32 x 32 synthetic chest phantoms (4 training, 2 validation images), a two-layer UNet, two epochs.
"""

from __future__ import annotations

import json
import tempfile
import unittest
from pathlib import Path

import pytest
import torch
from ignite.engine import Engine, Events
from monai.bundle import ConfigParser

from tests.bundles.bundle_utils import copy_bundle, run_workflow
from tests.configs.test_adversarial_training_override import TINY_UNET, dataset

ROOT = Path(__file__).resolve().parents[2]
TRAIN = ROOT / "bundles" / "nlcen_jsrt" / "configs" / "train.json"
ADVERSARIAL = ROOT / "configs" / "defense" / "adversarial_training.json"
OVERRIDE = ROOT / "configs" / "defense" / "weight_averaging.json"
# validation only after epoch 2, so that model.pt is the weights the run ends with
TINY = {"image_size": 32, "batch_size": 2, "val_fraction": 0.34, "num_workers": 0, "cache_rate": 0.0,
        "network_def": TINY_UNET, "loss": "$nlcen_monai.losses.LabelCrossEntropyLoss()", "val_interval": 2,
        "ema_warmup_epochs": 1}
ONE_PGD_STEP = {"train#trainer#attack#steps": 1, "train#trainer#eps_ramp_epochs": 2, "validate#evaluator#attack#steps": 1}


def same_weights(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k].cpu(), b[k].cpu()) for k in a)


class FirstIterationWeights:
    """A trainer handler that copies ``module``'s weights when the first iteration of a run starts (after a resume's load)."""

    def __init__(self, module: torch.nn.Module) -> None:
        self.module, self.weights = module, None

    def attach(self, engine: Engine) -> None:
        engine.add_event_handler(Events.ITERATION_STARTED, self)

    def __call__(self, engine: Engine) -> None:
        if self.weights is None:
            self.weights = {k: v.clone() for k, v in self.module.state_dict().items()}


class TestWarmup(unittest.TestCase):
    def test_momentum_schedule_on_an_ignite_engine(self):
        """Iteration 2 copies the network (momentum 1), then the momentum falls linearly to 1 - ema_decay."""
        parser = ConfigParser()
        parser.read_config([str(TRAIN), str(OVERRIDE)])
        parser.update({"network": "$torch.nn.Linear(2, 1)", "train#dataloader": "$[0] * 4", "ema_decay": 0.9,
                       "ema_warmup_epochs": 1})
        self.assertEqual(parser["train#handlers"][-2:], ["@ema", "@ema_warmup"])  # the EMA's update fires first
        network, ema = parser.get_parsed_content("network"), parser.get_parsed_content("ema")
        self.assertIs(parser.get_parsed_content("ema_network"), ema.ema_model)
        used, copies = [], []

        def step(engine, _):
            with torch.no_grad():
                network.weight.add_(1.0)

        engine = Engine(step)
        engine.add_event_handler(Events.ITERATION_COMPLETED, lambda e: used.append(e.state.ema_momentum))
        for handler in (ema, parser.get_parsed_content("ema_warmup")):
            handler.attach(engine)
        engine.add_event_handler(Events.ITERATION_COMPLETED,
                                 lambda e: copies.append(torch.equal(ema.ema_model.weight, network.weight)))
        engine.run([0] * 4, max_epochs=2)
        self.assertEqual(used, pytest.approx([0.1, 1.0, 0.775, 0.55, 0.325, 0.1, 0.1, 0.1]))
        self.assertEqual(copies, [False, True, False, False, False, False, False, False])
        self.assertFalse(ema.ema_model.weight.requires_grad)


class TestTraining(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = Path(cls.enterClassContext(tempfile.TemporaryDirectory()))
        cls.data = dataset(cls.work, "chest")

    def train(self, folder: str, configs: list[Path], **override):
        work = self.work / folder
        bundle = work / "nlcen_jsrt" if (work / "nlcen_jsrt").is_dir() else copy_bundle("nlcen_jsrt", work)
        settings = {"dataset_dir": self.data, "ckpt_dir": str(work / "models"), "output_dir": str(work / "eval"),
                    **TINY, **override}
        return run_workflow(bundle, ["train.json", *map(str, configs)], work, demo=False, **settings)

    def check_saved_model_is_the_average(self, workflow, models: Path):
        parse = workflow.parser.get_parsed_content
        network, ema = parse("network"), parse("ema_network")
        self.assertIs(parse("validate#evaluator").network, ema)  # the key metric scores the average
        trainer = parse("train#trainer")
        self.assertEqual(trainer.state.epoch, 2)
        self.assertEqual(trainer.state.ema_momentum, pytest.approx(1.0 - 0.99))  # after the one-epoch warm-up
        saved = torch.load(models / "model.pt", weights_only=True)
        self.assertTrue(same_weights(saved, ema.state_dict()))
        self.assertFalse(same_weights(saved, network.state_dict()))
        checkpoint = torch.load(models / "checkpoint_epoch=2.pt", weights_only=True)
        self.assertTrue(same_weights(checkpoint["model"], network.state_dict()))  # the raw weights, for --resume
        self.assertTrue(same_weights(checkpoint["ema_model"], ema.state_dict()))
        self.assertEqual(checkpoint["ema_warmup"]["event_index"], trainer.state.iteration)

    def test_on_train_json(self):
        workflow = self.train("plain", [OVERRIDE], epochs=2)
        self.check_saved_model_is_the_average(workflow, self.work / "plain" / "models")

    def test_after_adversarial_training(self):
        workflow = self.train("adversarial", [ADVERSARIAL, OVERRIDE], epochs=2, **ONE_PGD_STEP)
        self.assertEqual(type(workflow.parser.get_parsed_content("validate#evaluator")).__name__, "AdversarialEvaluator")
        self.check_saved_model_is_the_average(workflow, self.work / "adversarial" / "models")

    def test_resume_restores_the_average_and_its_warmup(self):
        self.train("resume", [OVERRIDE], epochs=1, val_interval=1, ema_warmup_epochs=4)
        first = torch.load(self.work / "resume" / "models" / "checkpoint_epoch=1.pt", weights_only=True)
        recorder = self.work / "resume" / "recorder.json"
        recorder.write_text(json.dumps({
            "recorder": {"_target_": f"{__name__}.FirstIterationWeights", "module": "@ema_network"},
            "+train#handlers": ["@recorder"],
        }))
        workflow = self.train("resume", [OVERRIDE, recorder], epochs=2, val_interval=1, ema_warmup_epochs=4, resume=True)
        state = workflow.parser.get_parsed_content("train#trainer").state
        self.assertEqual(state.iteration, 2 * state.epoch_length)  # epoch 1 restored, not run again
        self.assertTrue(same_weights(workflow.parser.get_parsed_content("recorder").weights, first["ema_model"]))
        self.assertEqual(first["ema_warmup"]["event_index"], state.epoch_length)
        warmup = workflow.parser.get_parsed_content("ema_warmup")
        self.assertEqual(warmup.event_index, 2 * state.epoch_length)  # the warm-up went on from epoch 1

if __name__ == "__main__":
    unittest.main()
