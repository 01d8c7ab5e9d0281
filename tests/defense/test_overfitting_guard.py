"""The single-step catastrophic-overfitting guard: its rule, and a constructed network on which it triggers
(under FGSM-RS and N-FGSM training alike: the check itself uses FGSM-RS).

The constructed network is correct on its check batch ``x0`` and its per-pixel margin depends on the
normalised perturbation ``d = (x - x0) / eps`` only: ``m(d) = 1.2 - 8 t (d - d^2)``. With ``t = 0``
nothing fools it. With ``t = 1`` (a loss surface curved inside the eps-ball, what catastrophic
overfitting produces) only ``0.18 < d < 0.82`` fools it: PGD's small steps settle around ``d = 0.5``
and fool every pixel, while FGSM-RS's single 1.25 eps step jumps to the ball's edge and fools only the
pixels whose random start lay in ``(-1, -0.43)``, about a quarter of them.
"""

from __future__ import annotations

import json
import tempfile
import unittest
from pathlib import Path

import torch
import torch.distributed as dist
import torch.nn as nn
from ignite.engine import Events
from monai.data import DataLoader, Dataset
from monai.networks.utils import one_hot
from parameterized import parameterized

from nlcen_monai.attacks import FGSMRS, NFGSM, PGD, SegmentationAttack
from nlcen_monai.defense import CatastrophicOverfittingGuard
from nlcen_monai.engines import AdversarialSupervisedTrainer
from nlcen_monai.losses import LabelCrossEntropyLoss

EPS = 8.0


def check_items(n: int = 4, size: int = 16) -> list[dict]:
    g = torch.Generator().manual_seed(0)
    items = []
    for i in range(n):
        label = torch.zeros(1, size, size)
        label[:, 3 + i : 11 + i, 4:12] = 1
        items.append({"image": 128 + torch.randint(-20, 21, (1, size, size), generator=g).float(), "label": label})
    return items


class CurvedNet(nn.Module):
    """Correct on ``images``; fooled in the middle of the eps-ball once ``curvature`` is 1 (see the module docstring)."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, eps: float) -> None:
        super().__init__()
        self.register_buffer("x0", images)
        self.register_buffer("sign", 2 * one_hot(labels.long(), 2) - 1)
        self.eps = eps
        self.curvature = nn.Parameter(torch.zeros(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        d = (x - self.x0) / self.eps
        return 4 * self.sign * (1.2 - 8 * self.curvature * (d - d * d))


FALLBACK = PGD(steps=3, step_ratio=2.5 / 3)


def curved_trainer(
    action: str, epochs: int = 4, overfit: bool = True, attack: SegmentationAttack | None = None
) -> tuple[AdversarialSupervisedTrainer, CurvedNet, CatastrophicOverfittingGuard]:
    """A trainer of the curved network (FGSM-RS by default) with the guard in its ``train_handlers``."""
    items = check_items()
    net = CurvedNet(torch.stack([d["image"] for d in items]), torch.stack([d["label"] for d in items]), EPS)
    guard = CatastrophicOverfittingGuard(items, num_images=len(items), pgd_steps=10, action=action, fallback=FALLBACK)
    trainer = AdversarialSupervisedTrainer(
        device="cpu",
        max_epochs=epochs,
        train_data_loader=DataLoader(Dataset(items), batch_size=len(items), shuffle=False),
        network=net,
        optimizer=torch.optim.SGD(net.parameters(), lr=0.0),  # the weights change only by hand below
        loss_function=LabelCrossEntropyLoss(),
        attack=FGSMRS() if attack is None else attack,
        eps=EPS,
        seed=0,
        train_handlers=[guard],
    )

    def curve(engine):  # "catastrophic overfitting" during epoch 2
        with torch.no_grad():
            net.curvature.fill_(1.0)

    if overfit:
        trainer.add_event_handler(Events.EPOCH_STARTED(once=2), curve)

    return trainer, net, guard


def measured(curvature: float) -> tuple[float, float]:
    """The guard's ``(fgsm_dice, pgd_dice)`` on the curved network with ``curvature`` (serial or per rank)."""
    trainer, net, guard = curved_trainer("fallback", overfit=False)
    with torch.no_grad():
        net.curvature.fill_(curvature)
    return guard.measure(trainer)


def _measure_on_rank(rank: int, curvatures: tuple[float, ...], folder: str) -> None:
    """One process of a gloo group (as a bundle under torchrun makes it): each rank's network differs."""
    dist.init_process_group("gloo", init_method=f"file://{folder}/group", rank=rank, world_size=len(curvatures))
    try:
        Path(folder, f"rank{rank}.json").write_text(json.dumps(measured(curvatures[rank])))
    finally:
        dist.destroy_process_group()


class TestGuardRule(unittest.TestCase):
    def test_is_overfitting(self):
        guard = CatastrophicOverfittingGuard([], max_gap=0.3, max_drop=0.2)
        self.assertTrue(guard.is_overfitting(0.9, 0.1, best_pgd_dice=0.7))  # PGD collapsed, FGSM high
        self.assertTrue(guard.is_overfitting(0.9, 0.1, best_pgd_dice=None))  # first check: the gap alone
        self.assertFalse(guard.is_overfitting(0.9, 0.1, best_pgd_dice=0.25))  # never was robust
        self.assertFalse(guard.is_overfitting(0.5, 0.3, best_pgd_dice=0.8))  # both fell: not the FGSM blind spot
        self.assertFalse(guard.is_overfitting(0.9, 0.85, best_pgd_dice=0.9))  # healthy

    def test_bad_arguments(self):
        for kwargs in ({"action": "ignore"}, {"pgd_steps": 0}, {"max_gap": -0.1}):
            with self.assertRaises(ValueError):
                CatastrophicOverfittingGuard([], **kwargs)

    def test_watches_the_single_step_attacks(self):
        self.assertTrue(CatastrophicOverfittingGuard.watches(FGSMRS()))
        self.assertTrue(CatastrophicOverfittingGuard.watches(NFGSM()))
        self.assertFalse(CatastrophicOverfittingGuard.watches(PGD(steps=5)))

    def test_default_fallback_is_madry_pgd5(self):
        fallback = CatastrophicOverfittingGuard([]).fallback
        self.assertIsInstance(fallback, PGD)
        self.assertEqual((fallback.steps, fallback.step_ratio, fallback.restarts), (5, 0.5, 1))


class TestGuardOnCurvedNet(unittest.TestCase):
    @parameterized.expand([("fgsm_rs", FGSMRS()), ("n_fgsm", NFGSM())])
    def test_triggers_restores_and_falls_back_to_pgd(self, _, attack):
        trainer, net, _ = curved_trainer("fallback", attack=attack)
        trainer.run()
        guard_state = trainer.state.adv_guard
        first, second = guard_state["history"]  # no check after the fallback
        self.assertEqual((first["fgsm_dice"], first["pgd_dice"]), (1.0, 1.0))
        self.assertGreater(second["fgsm_dice"], 0.4)  # FGSM-RS still looks fine ...
        self.assertLess(second["pgd_dice"], 0.1)  # ... while PGD breaks the network
        self.assertEqual(guard_state["triggered_epoch"], 2)
        self.assertEqual(net.curvature.item(), 0.0)  # the weights of the last good check
        self.assertIs(trainer.attack, FALLBACK)
        self.assertEqual(trainer.state.epoch, 4)
        saved = trainer.state_dict()  # the verdict survives --resume
        self.assertEqual(saved["adv_guard"]["triggered_epoch"], 2)

    def test_resumed_run_keeps_the_fallback(self):
        """A run resumed after the fallback crafts with the fallback attack again, and checks no more."""
        trainer, _, _ = curved_trainer("fallback", epochs=2)
        trainer.run()
        resumed, _, _ = curved_trainer("fallback", epochs=3, overfit=False)
        resumed.load_state_dict(trainer.state_dict())
        resumed.state.max_epochs = 3  # as MONAI's CheckpointLoader keeps the configured max_epochs
        attacks = []
        resumed.add_event_handler(Events.ITERATION_STARTED, lambda e: attacks.append(e.attack))
        resumed.run()
        self.assertEqual(attacks, [FALLBACK])  # epoch 3's one batch
        self.assertEqual(resumed.state.epoch, 3)
        self.assertEqual(len(resumed.state.adv_guard["history"]), 2)  # epoch 3 was not checked

    def test_stop_action_ends_training(self):
        trainer, net, _ = curved_trainer("stop")
        trainer.run()
        self.assertEqual(trainer.state.epoch, 2)
        self.assertEqual(net.curvature.item(), 0.0)
        self.assertIsInstance(trainer.attack, FGSMRS)

    def test_dice_is_averaged_over_ranks(self):
        """Under torch.distributed (found by ``ignite.distributed``) every rank gets the mean of the ranks' Dice."""
        curvatures = (0.0, 1.0)
        serial = [measured(c) for c in curvatures]
        self.assertNotEqual(serial[0], serial[1])
        with tempfile.TemporaryDirectory() as folder:
            # "spawn", not "fork": a forked child inherits the parent's OpenMP thread pool, which deadlocks
            # the child's first parallel operator once the parent has used it (as the test session has)
            torch.multiprocessing.start_processes(
                _measure_on_rank, args=(curvatures, folder), nprocs=len(curvatures), start_method="spawn"
            )
            ranks = [json.loads(Path(folder, f"rank{r}.json").read_text()) for r in range(len(curvatures))]
        self.assertEqual(ranks[0], ranks[1])
        for got, want in zip(ranks[0], zip(*serial)):
            self.assertAlmostEqual(got, sum(want) / len(want), places=6)

    def test_idle_under_pgd(self):
        """Listed among the handlers of a PGD training, the guard neither checks nor restores anything."""
        trainer, net, _ = curved_trainer("fallback", epochs=3, attack=PGD(steps=2, step_ratio=1.25))
        trainer.run()
        self.assertEqual(trainer.state.adv_guard["history"], [])
        self.assertEqual(net.curvature.item(), 1.0)  # the "overfitting" of epoch 2 stays
        self.assertIsInstance(trainer.attack, PGD)

    def test_healthy_run_never_triggers(self):
        trainer, net, _ = curved_trainer("fallback", epochs=3, overfit=False)
        trainer.run()
        self.assertIsNone(trainer.state.adv_guard["triggered_epoch"])
        self.assertEqual(len(trainer.state.adv_guard["history"]), 3)
        self.assertIsInstance(trainer.attack, FGSMRS)


if __name__ == "__main__":
    unittest.main()
