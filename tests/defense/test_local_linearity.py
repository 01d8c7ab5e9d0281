"""ELLE, the local-linearity regulariser (Abad Rocamora et al. 2024): its points, its error, ELLE-A's weight
schedule, the trainer's reproducible draws and resumed state, and configs/defense/local_linearity.json stacked
after configs/defense/adversarial_training.json."""

from __future__ import annotations

import tempfile
import unittest
from pathlib import Path

import numpy as np
import pytest
import torch
from ignite.engine import Events
from monai.bundle import ConfigParser
from parameterized import parameterized

from nlcen_monai.attacks import NFGSM
from nlcen_monai.defense import (
    AdaptiveLinearityWeight,
    AdversarialObjective,
    draw_linearity_points,
    linearity_error,
    per_image_cross_entropy,
)
from nlcen_monai.engines import AdversarialSupervisedTrainer
from nlcen_monai.losses import LabelCrossEntropyLoss
from tests.defense.defense_utils import make_trainer, phantoms, stacked, tiny_net

ROOT = Path(__file__).resolve().parents[2]
TRAIN = ROOT / "bundles" / "nlcen_jsrt" / "configs" / "train.json"
ADVERSARIAL = ROOT / "configs" / "defense" / "adversarial_training.json"
OVERRIDE = ROOT / "configs" / "defense" / "local_linearity.json"
ELLE_A = {"local_linearity_weight": 50.0, "local_linearity_adaptive": True}


class LinearLoss(torch.nn.Module):
    """Logits whose pixel-wise cross entropy against class 0 is ``g(x) = 0.1 + x / 255``, linear in the input:
    the class-0 probability is ``exp(-g)``, the other class's ``1 - exp(-g)``."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        g = 0.1 + x / 255.0
        return torch.cat([-g, torch.log(-torch.expm1(-g))], dim=1)


class TestPoints(unittest.TestCase):
    def setUp(self):
        images, _ = stacked(phantoms(0, 3))
        images[0, 0, :4] = 0.0  # pixels at both ends of the range, where the clip acts
        images[1, 0, :4] = 255.0
        self.images = images

    def test_in_the_ball_and_the_pixel_range(self):
        eps = 8.0
        points = draw_linearity_points(self.images, eps, seed=3)
        for p in points[:3]:
            self.assertEqual(p.shape, self.images.shape)
            self.assertFalse(p.requires_grad)
            self.assertLessEqual((p - self.images).abs().max().item(), eps + 1e-4)
            self.assertGreaterEqual(p.min().item(), 0.0)
            self.assertLessEqual(p.max().item(), 255.0)
        self.assertEqual(points.alpha.shape, (3,))
        self.assertTrue(bool(((points.alpha >= 0) & (points.alpha <= 1)).all()))
        weight = points.alpha.view(3, 1, 1, 1)
        torch.testing.assert_close(points.c, weight * points.a + (1 - weight) * points.b)
        self.assertGreater((points.a - points.b).abs().max().item(), eps)  # two independent draws
        self.assertGreater((points.a - self.images).abs().max().item(), 0.9 * eps)  # they fill the ball

    def test_same_seed_same_points(self):
        first, again, other = (draw_linearity_points(self.images, 8.0, s) for s in (5, 5, 6))
        for a, b in zip(first, again):
            torch.testing.assert_close(a, b, rtol=0, atol=0)
        self.assertFalse(torch.equal(first.a, other.a))
        draw_linearity_points(self.images, 8.0, None)  # the global generator

    def test_zero_budget_gives_the_clean_images(self):
        points = draw_linearity_points(self.images, 0.0, seed=1)
        for p in points[:3]:
            torch.testing.assert_close(p, self.images)

    def test_negative_budget_raises(self):
        with self.assertRaises(ValueError):
            draw_linearity_points(self.images, -1.0)


class TestError(unittest.TestCase):
    def test_formula(self):
        error = linearity_error(torch.tensor([1.0, 1.0]), torch.tensor([3.0, 3.0]), torch.tensor([3.0, 2.5]), torch.tensor([0.25, 0.25]))
        torch.testing.assert_close(error, torch.tensor([0.25, 0.0]))  # 3 - 0.25 - 2.25 = 0.5; 2.5 is on the line

    def test_per_image_cross_entropy(self):
        logits = torch.randn(2, 2, 4, 4, generator=torch.Generator().manual_seed(0))
        label = torch.randint(0, 2, (2, 1, 4, 4), generator=torch.Generator().manual_seed(1)).float()
        expected = torch.stack([torch.nn.functional.cross_entropy(logits[i : i + 1], label[i : i + 1, 0].long()) for i in range(2)])
        torch.testing.assert_close(per_image_cross_entropy(logits, label), expected)

    def error(self, network: torch.nn.Module, eps: float = 16.0) -> torch.Tensor:
        images, _ = stacked(phantoms(0, 4))
        label = torch.zeros(4, 1, *images.shape[2:])
        objective = AdversarialObjective(LabelCrossEntropyLoss(), local_linearity_weight=1.0)
        inputs = objective.training_inputs(images, images, draw_linearity_points(images, eps, seed=0))
        self.assertEqual(inputs.shape[0], 4 * 4)  # the adversarial images and three points per image
        return objective.local_linearity_error(network(inputs), label)

    def test_zero_for_a_loss_linear_in_the_input(self):
        self.assertLess(self.error(LinearLoss()).max().item(), 1e-10)

    def test_positive_for_a_nonlinear_network(self):
        torch.manual_seed(0)
        error = self.error(tiny_net().eval())
        self.assertTrue(bool((error > 0).all()))
        self.assertGreater(error.mean().item(), 1e-10)

    def test_gradient_goes_through_the_parameters(self):
        torch.manual_seed(0)
        net = tiny_net()
        self.error(net).mean().backward()
        self.assertTrue(all(p.grad is not None and torch.isfinite(p.grad).all() for p in net.parameters()))


def reference_elle_a(errors: list[float], max_weight: float, decay: float, sensitivity: float) -> list[float]:
    """The authors' rule, written with a list and NumPy's population statistics: the weight after each batch."""
    weight, seen, weights = 0.0, [], []
    for error in errors:
        if len(seen) > 2 and error > np.mean(seen) + sensitivity * np.std(seen):
            weight = max_weight
        else:
            weight *= decay
        seen.append(error)
        weights.append(weight)
    return weights


class TestAdaptiveWeight(unittest.TestCase):
    def test_jumps_then_decays(self):
        schedule = AdaptiveLinearityWeight(4000.0, 0.99, 2.0)
        state, weights = schedule.initial_state(), []
        for error in (1.0, 1.0, 1.0, 10.0, 1.0, 1.0):
            state = schedule.update(state, error)
            weights.append(state["weight"])
        self.assertEqual(weights[:3], [0.0, 0.0, 0.0])  # no threshold before three errors
        self.assertEqual(weights[3], 4000.0)
        self.assertEqual(weights[4:], pytest.approx([3960.0, 3920.4]))

    def test_equals_the_authors_rule(self):
        rng = np.random.default_rng(0)
        errors = list(rng.exponential(1.0, 200) * np.where(rng.random(200) < 0.05, 20.0, 1.0))
        schedule = AdaptiveLinearityWeight(4000.0, 0.99, 2.0)
        state, weights = schedule.initial_state(), []
        for error in errors:
            state = schedule.update(state, error)
            weights.append(state["weight"])
        self.assertEqual(weights, pytest.approx(reference_elle_a(errors, 4000.0, 0.99, 2.0), rel=1e-9))
        self.assertEqual(state["count"], 200)
        self.assertAlmostEqual(state["mean"], float(np.mean(errors)))
        self.assertGreater(sum(w == 4000.0 for w in weights), 1)

    @parameterized.expand([((0.0,),), ((10.0, 0.0),), ((10.0, 1.5),), ((10.0, 0.9, -1.0),)])
    def test_bad_arguments(self, args):
        with self.assertRaises(ValueError):
            AdaptiveLinearityWeight(*args)


def unshuffled(items, **kwargs) -> AdversarialSupervisedTrainer:
    from monai.data import DataLoader, Dataset

    trainer = make_trainer(items, **kwargs)
    trainer.data_loader = DataLoader(Dataset(items), batch_size=8, shuffle=False)
    return trainer


class TestTrainer(unittest.TestCase):
    def test_points_follow_seed_iteration_and_rank(self):
        images, _ = stacked(phantoms(0, 2))
        trainer = make_trainer(phantoms(0, 2), epochs=1, attack=NFGSM(), local_linearity_weight=1.0)
        draws = {}
        for seed, iteration, rank in ((0, 5, 0), (0, 5, 0), (0, 6, 0), (0, 5, 1), (1, 5, 0)):
            trainer.seed, trainer.state.iteration, trainer.state.rank = seed, iteration, rank
            draws.setdefault((seed, iteration, rank), []).append(trainer.linearity_points(images, 8.0).a)
        first, again = draws[(0, 5, 0)]
        torch.testing.assert_close(first, again, rtol=0, atol=0)
        for key in ((0, 6, 0), (0, 5, 1), (1, 5, 0)):
            self.assertFalse(torch.equal(first, draws[key][0]), key)

    def test_points_are_at_the_batch_budget(self):
        seen = []
        trainer = make_trainer(phantoms(0, 8), epochs=2, eps=8.0, eps_ramp_epochs=2, attack=NFGSM(),
                               local_linearity_weight=1.0)
        original = trainer.linearity_points
        trainer.linearity_points = lambda images, eps: (seen.append((trainer.state.epoch, eps)), original(images, eps))[1]
        trainer.run()
        self.assertEqual(seen, [(1, 4.0), (2, 8.0)])

    def test_output_keys_and_the_constant_weight(self):
        trainer = make_trainer(phantoms(0, 8), epochs=1, eps=8.0, attack=NFGSM(), local_linearity_weight=7.0)
        trainer.run()
        output = trainer.state.output[0]
        self.assertGreater(output["local_linearity"], 0.0)
        self.assertEqual(output["local_linearity_weight"], 7.0)
        self.assertEqual(tuple(output["pred"].shape), (2, 32, 32))  # the adversarial prediction, ELLE's points left out
        self.assertNotIn("local_linearity", trainer.state_dict_user_keys)  # constant weight: no state

    def test_elle_a_measures_from_the_first_batch_with_weight_zero(self):
        trainer = make_trainer(phantoms(0, 16), epochs=2, eps=8.0, attack=NFGSM(), **ELLE_A)
        used = []
        trainer.add_event_handler(Events.ITERATION_COMPLETED, lambda e: used.append(e.state.output[0]["local_linearity_weight"]))
        trainer.run()
        state = trainer.state.local_linearity
        self.assertEqual(state["count"], trainer.state.iteration)
        self.assertEqual(used[:3], [0.0, 0.0, 0.0])
        self.assertIn("local_linearity", trainer.state_dict_user_keys)

    def test_weight_zero_is_the_training_without_elle(self):
        """``local_linearity_weight=0`` (the default) adds nothing to the batch and nothing to the loss."""
        runs = []
        for kwargs in ({}, {"local_linearity_weight": 0.0}, {"local_linearity_weight": 1.0}):
            trainer = make_trainer(phantoms(0, 8), epochs=1, eps=8.0, attack=NFGSM(), **kwargs)
            trainer.run()
            runs.append([p.detach().clone() for p in trainer.network.parameters()])
        for a, b in zip(runs[0], runs[1]):
            torch.testing.assert_close(a, b, rtol=0, atol=0)
        self.assertTrue(any(not torch.equal(a, b) for a, b in zip(runs[0], runs[2])))

    def test_resumed_elle_a_continues_its_state(self):
        items = phantoms(0, 16)
        kwargs = {"epochs": 3, "eps": 8.0, "attack": NFGSM(), **ELLE_A}
        full = unshuffled(items, **kwargs)
        full.run()
        killed = unshuffled(items, **kwargs)
        killed.add_event_handler(Events.EPOCH_COMPLETED(once=1), lambda e: e.terminate())
        killed.run()
        saved = {"model": killed.network.state_dict(), "optimizer": killed.optimizer.state_dict(), "trainer": killed.state_dict()}
        self.assertEqual(saved["trainer"]["local_linearity"]["count"], 2)
        resumed = unshuffled(items, **kwargs)
        resumed.network.load_state_dict(saved["model"])
        resumed.optimizer.load_state_dict(saved["optimizer"])
        resumed.load_state_dict(saved["trainer"])
        resumed.run()
        self.assertEqual(resumed.state.local_linearity, full.state.local_linearity)
        for a, b in zip(full.network.parameters(), resumed.network.parameters()):
            torch.testing.assert_close(a, b, rtol=0, atol=0)

    @parameterized.expand([({"local_linearity_weight": -1.0},), ({"local_linearity_adaptive": True},),
                           ({"local_linearity_weight": 1.0, "local_linearity_adaptive": True, "local_linearity_decay": 0.0},)])
    def test_bad_arguments(self, kwargs):
        with self.assertRaises(ValueError):
            make_trainer(phantoms(0, 2), **kwargs)


class TestConfig(unittest.TestCase):
    def test_composes_after_adversarial_training(self):
        parser = ConfigParser()
        parser.read_config([str(TRAIN), str(ADVERSARIAL), str(OVERRIDE)])
        attack = parser.get_parsed_content("train#trainer#attack")
        self.assertIsInstance(attack, NFGSM)
        self.assertEqual((attack.step_ratio, attack.noise_ratio), (1.0, 2.0))
        trainer = parser.get("train#trainer")
        expected = {"local_linearity_weight": 4000.0, "local_linearity_adaptive": True, "local_linearity_decay": 0.99,
                    "local_linearity_sensitivity": 2.0, "eps": 8.0}
        self.assertEqual({k: trainer[k] for k in expected}, expected)
        self.assertEqual(parser["train#handlers"][-3], "@overfit_guard")  # the guard stays and watches N-FGSM
        transform = parser.get_parsed_content("local_linearity_output")
        self.assertEqual(transform([{"local_linearity": 0.5, "local_linearity_weight": 2.0, "loss": 1.0}]),
                         {"local_linearity": 0.5, "local_linearity_weight": 2.0})

    @pytest.mark.slow
    def test_tiny_training_runs_and_saves_the_state(self):
        from tests.bundles.bundle_utils import copy_bundle, run_workflow
        from tests.configs.test_adversarial_training_override import TINY_UNET, dataset

        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            bundle = copy_bundle("nlcen_jsrt", work)
            settings = {"dataset_dir": dataset(work, "chest"), "ckpt_dir": str(work / "models"),
                        "output_dir": str(work / "eval"), "image_size": 32, "batch_size": 2, "val_fraction": 0.34,
                        "num_workers": 0, "cache_rate": 0.0, "network_def": TINY_UNET, "epochs": 2,
                        "loss": "$nlcen_monai.losses.LabelCrossEntropyLoss()", "train#trainer#eps_ramp_epochs": 2,
                        "validate#evaluator#attack#steps": 1, "overfit_guard#num_images": 2}
            workflow = run_workflow(bundle, ["train.json", str(ADVERSARIAL), str(OVERRIDE)], work, demo=False, **settings)
            trainer = workflow.parser.get_parsed_content("train#trainer")
            self.assertIsInstance(trainer.attack, NFGSM)
            self.assertEqual(trainer.state.epoch, 2)
            self.assertEqual(trainer.state.local_linearity["count"], trainer.state.iteration)
            self.assertTrue(np.isfinite(trainer.state.output[0]["local_linearity"]))
            self.assertIn("train_local_linearity", trainer.state.metrics)
            saved = torch.load(work / "models" / "checkpoint_epoch=2.pt", weights_only=True)
            self.assertEqual(saved["trainer"]["local_linearity"], trainer.state.local_linearity)


if __name__ == "__main__":
    unittest.main()
