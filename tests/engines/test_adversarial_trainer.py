"""The adversarial trainer: it trains on adversarial images (and is more robust for it), follows the ramp,
is reproducible and resumable, handles deep supervision, the mix and TRADES, accumulation and DDP.

Everything runs on 32 x 32 chest phantoms and a tiny BatchNorm UNet on the CPU.
"""

from __future__ import annotations

import tempfile
import unittest

import torch
import torch.distributed as dist
from ignite.engine import Events
from monai.data import DataLoader, Dataset
from monai.engines.utils import IterationEvents
from monai.utils import CommonKeys as Keys
from monai.utils import set_determinism
from parameterized import parameterized

from nlcen_monai.attacks import FGSMRS, NFGSM, PGD, Square
from nlcen_monai.attacks.utils import iteration_seed, per_image_dice
from nlcen_monai.defense import AdversarialObjective, CatastrophicOverfittingGuard, draw_linearity_points, ramped_eps
from nlcen_monai.losses import LabelCrossEntropyLoss
from nlcen_monai.engines import AdversarialSupervisedTrainer, unwrap_network
from nlcen_monai.networks import get_loss, get_network
from nlcen_monai.networks.nets import PixelNormalizedNet

from tests.defense.defense_utils import SIZE, madry_pgd, make_trainer, phantoms, stacked, tiny_net


class Recording(torch.nn.Module):
    """The network, remembering the inputs of its training-mode forward passes."""

    def __init__(self, net: torch.nn.Module) -> None:
        super().__init__()
        self.net, self.train_inputs = net, []

    def forward(self, x):
        if self.training:
            self.train_inputs.append(x.detach().clone())
        return self.net(x)


def record_batches(trainer) -> list[dict]:
    """Per iteration: the epoch, the clean and adversarial images and the eps (read before decollation)."""
    seen = []

    @trainer.on(IterationEvents.FORWARD_COMPLETED)
    def _record(engine):
        out = engine.state.output
        seen.append({"epoch": engine.state.epoch, "eps": out["adv_eps"], "clean": out["clean_image"], "adv": out[Keys.IMAGE]})

    return seen


def weights(net: torch.nn.Module) -> list[torch.Tensor]:
    return [v.detach().clone() for v in net.state_dict().values()]


class TestAdversarialTrainer(unittest.TestCase):
    def test_crafted_images_stay_in_ball_and_follow_the_ramp(self):
        trainer = make_trainer(phantoms(0, 16), epochs=4, eps=12.0, eps_ramp_epochs=3, attack=madry_pgd(2))
        seen = record_batches(trainer)
        trainer.run()
        self.assertEqual(len(seen), 8)
        self.assertEqual([b["eps"] for b in seen[::2]], [4.0, 8.0, 12.0, 12.0])
        for b in seen:
            self.assertEqual(b["eps"], ramped_eps(12.0, b["epoch"], 3))
            delta = (b["adv"] - b["clean"]).abs().max().item()
            self.assertLessEqual(delta, b["eps"] + 1e-4)
            self.assertGreater(delta, 0.5 * b["eps"])
            self.assertGreaterEqual(b["adv"].min().item(), 0.0)
            self.assertLessEqual(b["adv"].max().item(), 255.0)

    def test_n_fgsm_trains_beyond_the_ball(self):
        trainer = make_trainer(phantoms(0, 16), epochs=2, eps=8.0, attack=NFGSM(noise_ratio=1.5))
        seen = record_batches(trainer)
        before = weights(trainer.network)
        trainer.run()
        self.assertEqual(len(seen), 4)
        for b in seen:
            delta = (b["adv"] - b["clean"]).abs().max().item()
            self.assertGreater(delta, b["eps"] + 1)  # not projected on the eps-ball
            self.assertLessEqual(delta, 2.5 * b["eps"] + 1e-4)  # noise 1.5 eps + step eps
        self.assertTrue(any(not torch.equal(a, b) for a, b in zip(before, weights(trainer.network))))

    def test_uniform_eps_sampling(self):
        """Each batch's budget is uniform in [0, the ramped eps], the same for the same seed, the crafting within it."""
        runs = []
        for seed in (0, 0, 1):
            trainer = make_trainer(phantoms(0, 16), epochs=4, batch_size=4, seed=seed, eps=12.0, eps_ramp_epochs=2,
                                   attack=madry_pgd(1), eps_sampling="uniform")
            runs.append(record_batches(trainer))
            trainer.run()
        first, again, other = ([b["eps"] for b in run] for run in runs)
        self.assertEqual(first, again)
        self.assertNotEqual(first, other)
        self.assertEqual(len(set(first)), 16)
        for b in runs[0]:
            self.assertTrue(0 <= b["eps"] <= ramped_eps(12.0, b["epoch"], 2))
            self.assertLessEqual((b["adv"] - b["clean"]).abs().max().item(), b["eps"] + 1e-4)
        self.assertLess(min(first[8:]), 9.0)  # not just the ramped 12

    # (objective arguments, what the training forward sees: "adv" or "clean+adv")
    @parameterized.expand([({"clean_weight": 0.0}, "adv"), ({"clean_weight": 0.5}, "clean+adv"), ({"objective": "trades"}, "clean+adv")])
    def test_training_forward_sees_the_adversarial_images(self, kwargs, expected):
        net = Recording(tiny_net())
        trainer = make_trainer(phantoms(0, 8), epochs=1, batch_size=4, network=net, eps=8.0, attack=madry_pgd(2), **kwargs)
        seen = record_batches(trainer)
        trainer.run()
        self.assertEqual(len(net.train_inputs), 2)
        for inputs, b in zip(net.train_inputs, seen):
            want = b["adv"] if expected == "adv" else torch.cat([b["clean"], b["adv"]])
            torch.testing.assert_close(inputs, want, rtol=0, atol=0)
            self.assertFalse(torch.equal(b["adv"], b["clean"]))

    def test_train_handlers_see_the_adversarial_output(self):
        """A handler in ``train_handlers`` on FORWARD_COMPLETED already sees the trainer's keys; the decollated
        output has one adversarial image, clean image, prediction and eps per item."""

        class Probe:
            def __init__(self):
                self.seen = []

            def attach(self, engine):
                engine.add_event_handler(IterationEvents.FORWARD_COMPLETED, lambda e: self.seen.append(dict(e.state.output)))

        probe = Probe()
        trainer = make_trainer(phantoms(0, 4), epochs=1, batch_size=4, eps=8.0, attack=madry_pgd(1), clean_weight=0.5, train_handlers=[probe])
        trainer.run()
        (out,) = probe.seen
        self.assertEqual(out["adv_eps"], 8.0)
        self.assertEqual(out[Keys.IMAGE].shape[0], 4)  # the adversarial images, not the clean+adversarial batch
        self.assertFalse(torch.equal(out[Keys.IMAGE], out["clean_image"]))
        self.assertEqual(out[Keys.PRED].shape[0], 8)  # until the loss: the prediction on clean+adversarial
        items = trainer.state.output
        self.assertEqual(len(items), 4)
        self.assertEqual({tuple(d[k].shape) for d in items for k in (Keys.IMAGE, "clean_image", Keys.PRED)},
                         {(1, SIZE, SIZE), (2, SIZE, SIZE)})
        self.assertEqual({d["adv_eps"] for d in items}, {8.0})

    def test_same_seed_same_run(self):
        runs = []
        for seed in (0, 0, 1):
            trainer = make_trainer(phantoms(0, 16), epochs=2, seed=seed, eps=8.0, attack=FGSMRS())
            losses = []
            trainer.add_event_handler(Events.ITERATION_COMPLETED, lambda e: losses.append(e.state.output[0][Keys.LOSS]))
            trainer.run()
            runs.append((losses, weights(trainer.network)))
        (loss_a, w_a), (loss_b, w_b), (loss_c, _) = runs
        self.assertEqual(loss_a, loss_b)
        for a, b in zip(w_a, w_b):
            torch.testing.assert_close(a, b, rtol=0, atol=0)
        self.assertNotEqual(loss_a, loss_c)

    # (objective arguments, the attack of both the trainer and the hand-written loop)
    @parameterized.expand(
        [
            ({"clean_weight": 0.5}, madry_pgd(2)),
            ({"objective": "trades"}, madry_pgd(2)),
            ({"clean_weight": 0.0}, FGSMRS()),
            ({"clean_weight": 0.0}, NFGSM()),
            ({"objective": "trades"}, NFGSM()),
            ({"clean_weight": 0.0, "local_linearity_weight": 0.0}, NFGSM()),  # ELLE off: the step without it
            ({"clean_weight": 0.0, "local_linearity_weight": 100.0}, NFGSM()),
            ({"objective": "trades", "local_linearity_weight": 100.0}, FGSMRS()),
        ]
    )
    def test_trainer_equals_the_plain_loop(self, objective_args, attack):
        """MONAI's iteration with crafting in ``prepare_batch`` and the objective as the loss is, bit for bit,
        the loop that crafts (the attack reseeded per iteration, on the objective's loss), runs one forward on
        the training inputs (with ELLE's points, drawn from the iteration's own stream), takes the objective
        and steps."""
        items, eps = phantoms(0, 16), 8.0
        trainer = make_trainer(items, epochs=2, eps=eps, attack=attack, **objective_args)
        trainer.run()

        set_determinism(0)  # as make_trainer: same initial weights, same shuffling
        net = tiny_net()
        loader = DataLoader(Dataset(items), batch_size=8, shuffle=True)
        optimizer = torch.optim.Adam(net.parameters(), 3e-3)
        objective = AdversarialObjective(LabelCrossEntropyLoss(), **objective_args)
        iteration = 0
        for _ in range(2):
            for batch in loader:
                iteration += 1
                x, y = batch["image"], batch["label"]
                x_adv = attack.reseeded(iteration_seed(0, iteration, 0))(net, x, y, eps, loss=objective.crafting_loss(net, x))
                points = draw_linearity_points(x, eps, iteration_seed(0, iteration, 0, 3_000_017))
                net.train()
                optimizer.zero_grad(set_to_none=True)
                pred = net(objective.training_inputs(x, x_adv, points))
                loss = objective(*objective.split_prediction(pred, x.shape[0]), y)
                if objective.local_linearity:
                    loss = loss + objective.local_linearity_weight * objective.local_linearity_error(pred, y).mean()
                loss.backward()
                optimizer.step()
        for a, b in zip(weights(trainer.network), weights(net)):
            torch.testing.assert_close(a, b, rtol=0, atol=0)

    @parameterized.expand([("fixed",), ("uniform",)])
    def test_resumed_run_equals_uninterrupted_run(self, eps_sampling):
        """Ramp from ``state.epoch``, random starts and eps draws from ``state.iteration``: a restored run repeats the original."""
        items = phantoms(0, 16)
        kwargs = {"epochs": 3, "eps": 12.0, "eps_ramp_epochs": 2, "attack": madry_pgd(2), "shuffle_free": True,
                  "eps_sampling": eps_sampling}
        full = _unshuffled_trainer(items, **kwargs)
        full_seen = record_batches(full)
        full.run()
        full_eps = [b["eps"] for b in full_seen if b["epoch"] > 1]
        killed = _unshuffled_trainer(items, **kwargs)
        killed.add_event_handler(Events.EPOCH_COMPLETED(once=1), lambda e: e.terminate())
        killed.run()
        saved = {"model": killed.network.state_dict(), "optimizer": killed.optimizer.state_dict(), "trainer": killed.state_dict()}
        resumed = _unshuffled_trainer(items, **kwargs)
        resumed.network.load_state_dict(saved["model"])
        resumed.optimizer.load_state_dict(saved["optimizer"])
        resumed.load_state_dict(saved["trainer"])
        seen = record_batches(resumed)
        resumed.run()
        if eps_sampling == "fixed":
            self.assertEqual(sorted({(b["epoch"], b["eps"]) for b in seen}), [(2, 12.0), (3, 12.0)])
        else:
            self.assertEqual([b["eps"] for b in seen], full_eps)
        for a, b in zip(weights(full.network), weights(resumed.network)):
            torch.testing.assert_close(a, b, rtol=0, atol=0)

    def test_clean_checkpoint_resumes_as_adversarial_training(self):
        items = phantoms(0, 8)
        clean = make_trainer(items, adversarial=False, epochs=1)
        clean.run()
        attack = madry_pgd(1)
        guard = CatastrophicOverfittingGuard(items)  # its adv_guard is in the trainer's state dict ...
        trainer = make_trainer(items, epochs=2, eps=8.0, eps_ramp_epochs=2, attack=attack, train_handlers=[guard])
        trainer.load_state_dict(clean.state_dict())  # ... not in a clean checkpoint: the trainer's own stays
        trainer.state.max_epochs = 2  # as MONAI's CheckpointLoader keeps the configured max_epochs
        seen = record_batches(trainer)
        trainer.run()
        self.assertEqual([b["epoch"] for b in seen], [2])
        self.assertEqual(trainer.state.adv_guard["triggered_epoch"], None)
        self.assertIs(trainer.attack, attack)
        self.assertGreater((seen[0]["adv"] - seen[0]["clean"]).abs().max().item(), 0.5 * 8.0)

    # NLCEN's five deep-supervision outputs in training mode, with each objective
    @parameterized.expand([({"clean_weight": 0.0},), ({"clean_weight": 0.5},), ({"objective": "trades"},)])
    def test_nlcen_deep_supervision(self, kwargs):
        nlcen = get_network("nlcen", nlce=True, backbone="resnet18", widen_factor=0.125, fpn_channels=16)
        net = PixelNormalizedNet(nlcen)
        trainer = make_trainer(phantoms(0, 2, size=64), epochs=1, batch_size=2, network=net, eps=8.0, attack=madry_pgd(1), **kwargs)
        trainer.adversarial_objective.loss_function = get_loss("nlcen")  # the bundle's loss, inside the objective
        preds = []  # once the loss is computed, "pred" is the prediction on the adversarial images
        trainer.add_event_handler(IterationEvents.BACKWARD_COMPLETED, lambda e: preds.append(e.state.output[Keys.PRED]))
        before = weights(net)
        trainer.run()
        self.assertEqual(tuple(preds[0].shape), (2, 5, 2, 64, 64))  # refined + four sides, adversarial half
        self.assertTrue(torch.isfinite(torch.tensor(trainer.state.output[0][Keys.LOSS])))
        self.assertTrue(any(not torch.equal(a, b) for a, b in zip(before, weights(net))))

    def test_gradient_accumulation_steps_every_second_batch(self):
        trainer = make_trainer(phantoms(0, 16), epochs=1, batch_size=4, eps=4.0, attack=FGSMRS(), accumulation_steps=2)
        steps = []
        original = trainer.optimizer.step
        trainer.optimizer.step = lambda *a, **k: (steps.append(trainer.state.iteration), original(*a, **k))[1]
        trainer.run()
        self.assertEqual(steps, [2, 4])

    def test_ddp_wrapped_network_trains_like_the_plain_one(self):
        """Crafting goes through ``network.module``: a one-process DDP run equals the plain run."""
        items = phantoms(0, 8)
        plain = make_trainer(items, epochs=1, batch_size=4, eps=8.0, attack=madry_pgd(2))
        plain.run()
        with tempfile.TemporaryDirectory() as tmp:
            dist.init_process_group("gloo", init_method=f"file://{tmp}/pg", rank=0, world_size=1)
            try:
                torch.manual_seed(0)
                ddp = torch.nn.parallel.DistributedDataParallel(tiny_net())
                trainer = make_trainer(items, epochs=1, batch_size=4, eps=8.0, attack=madry_pgd(2), network=ddp)
                self.assertIs(trainer.crafting_network, ddp.module)
                trainer.run()
            finally:
                dist.destroy_process_group()
        self.assertIs(unwrap_network(ddp), ddp.module)
        for a, b in zip(weights(plain.network), weights(ddp.module)):
            torch.testing.assert_close(a, b, rtol=0, atol=0)

    @parameterized.expand(
        [
            ({"iteration_update": lambda e, b: None},),
            ({"attack": Square(queries=2)},),  # its loss is its own: TRADES could not craft with it
            ({"attack": "pgd"},),
            ({"eps": -1.0},),
            ({"eps_sampling": "normal"},),
        ]
    )
    def test_bad_arguments(self, kwargs):
        with self.assertRaises(ValueError):
            make_trainer(phantoms(0, 2), **kwargs)


def _unshuffled_trainer(items, shuffle_free: bool = True, **kwargs) -> AdversarialSupervisedTrainer:
    from monai.data import DataLoader, Dataset

    trainer = make_trainer(items, **{k: v for k, v in kwargs.items() if k != "epochs"}, epochs=kwargs["epochs"])
    trainer.data_loader = DataLoader(Dataset(items), batch_size=8, shuffle=not shuffle_free)
    return trainer


class TestRobustness(unittest.TestCase):
    """Adversarial training must buy robustness that clean training does not have (the test fails without crafting)."""

    EPS = 12.0

    def _dice(self, net, images, labels, attacked: bool) -> float:
        net.eval()
        x = PGD(steps=10, seed=1)(net, images, labels, self.EPS) if attacked else images
        with torch.no_grad():
            return per_image_dice(net(x), labels[:, 0].long()).mean().item()

    def test_adversarial_training_beats_clean_training_under_pgd(self):
        train, (images, labels) = phantoms(0, 32), stacked(phantoms(1000, 16))
        results = {}
        for adversarial in (False, True):
            kwargs = {"eps": self.EPS, "eps_ramp_epochs": 2, "attack": madry_pgd(2)} if adversarial else {}
            trainer = make_trainer(train, adversarial=adversarial, epochs=6, **kwargs)
            trainer.run()
            net = trainer.network
            results[adversarial] = (self._dice(net, images, labels, False), self._dice(net, images, labels, True))
        (clean_clean, clean_robust), (adv_clean, adv_robust) = results[False], results[True]
        self.assertGreater(adv_robust, clean_robust + 0.3, results)
        self.assertGreater(adv_clean, 0.8, results)
        self.assertGreater(clean_clean, 0.8, results)


if __name__ == "__main__":
    unittest.main()
