"""Tests for APGD: the checkpoints of Croce & Hein 2020, its strength against PGD at the same budget, each loss's direction."""

from __future__ import annotations

import unittest

import torch
from parameterized import parameterized

from nlcen_monai.attacks import APGD, PGD, apgd_checkpoints, get_attack, inverse_target
from nlcen_monai.attacks.apgd import apgd, red_eps_stages
from nlcen_monai.attacks.utils import per_image_dice

from tests.attacks.attack_checks import CountingNet, FixedOutput, blobs, data, tiny_net, trained_blob_net

# (iterations, checkpoints w_j = ceil(p_j N) in (0, N))
CHECKPOINT_CASES = [
    (100, [22, 41, 57, 70, 80, 87, 93, 99]),
    (20, [5, 9, 12, 14, 16, 18, 19]),
    (5, [2, 3, 4]),
    (1, []),
    (0, []),
]
# (loss, targeted)
LOSS_CASES = [
    ("ce", False),
    ("masked_ce", False),
    ("js", False),
    ("balanced_ce", False),
    ("balanced_masked_ce", False),
    ("ce", True),
    ("masked_ce", True),
    ("js", True),
    ("balanced_masked_ce", True),
]
# (iterations, red-eps runs: (radius / eps, iterations))
RED_EPS_CASES = [
    (100, [(2.0, 30), (1.5, 30), (1.0, 40)]),
    (20, [(2.0, 6), (1.5, 6), (1.0, 8)]),
    (3, [(1.0, 3)]),
    (0, [(1.0, 0)]),
]


def mean_dice(model, images, y) -> float:
    with torch.no_grad():
        return per_image_dice(model(images), y).mean().item()


class TestAPGD(unittest.TestCase):
    @parameterized.expand(CHECKPOINT_CASES)
    def test_checkpoints(self, iterations, expected):
        self.assertEqual(apgd_checkpoints(iterations), expected)

    @parameterized.expand([(24.0,), (32.0,)])
    def test_at_least_as_strong_as_pgd(self, eps):
        """20 APGD iterations leave a mean Dice no higher than 20 PGD steps (2.5 eps / 20) on a trained model."""
        model = trained_blob_net()
        images, y = blobs(8, seed=1)
        self.assertGreater(mean_dice(model, images, y), 0.95)
        strong = mean_dice(model, apgd(model, images, y, eps, iterations=20, seed=0), y)
        weak = mean_dice(model, PGD(steps=20, seed=0)(model, images, y, eps), y)
        self.assertLessEqual(strong, weak)
        self.assertLess(strong, 0.9)

    @parameterized.expand(LOSS_CASES)
    def test_each_loss_moves_the_right_way(self, loss, targeted):
        model = trained_blob_net()
        images, truth = blobs(4, seed=2)
        y = inverse_target(truth) if targeted else truth
        adv = apgd(model, images, y, 32.0, loss=loss, iterations=10, targeted=targeted, seed=0)
        before, after = mean_dice(model, images, y), mean_dice(model, adv, y)
        if targeted:
            self.assertGreater(after, before + 0.05)
        else:
            self.assertLess(after, before - 0.05)

    def test_most_successful_iterate_is_returned(self):
        """No restart and no iterate is lost: two restarts are at least as good as each one alone, per image."""
        model = trained_blob_net()
        images, y = blobs(4, seed=3)
        dice = [
            per_image_dice(model(apgd(model, images, y, 24.0, iterations=5, seed=s)), y).detach() for s in (0, 1)
        ]
        both = per_image_dice(model(apgd(model, images, y, 24.0, iterations=5, restarts=2, seed=0)), y).detach()
        self.assertTrue(torch.all(both <= torch.minimum(dice[0], dice[1]) + 1e-6))

    def test_passes(self):
        """``iterations`` gradient passes and one forward-only pass per restart."""
        model = CountingNet(tiny_net())
        images, label = data()
        APGD(iterations=7, restarts=3, seed=0)(model, images, label, 4.0)
        self.assertEqual((model.calls, model.grad_calls), (24, 21))

    @parameterized.expand(RED_EPS_CASES)
    def test_red_eps_stages(self, iterations, expected):
        self.assertEqual(red_eps_stages(iterations), expected)

    @parameterized.expand([("ce",), ("js",)])
    def test_red_eps_in_the_ball_and_at_least_as_strong(self, loss):
        """At eps 32, red-eps APGD (20 iterations, 23 passes) stays in the eps-ball and leaves a mean Dice no
        higher than plain APGD at the same passes (22 iterations) on a trained model."""
        model = trained_blob_net()
        images, y = blobs(16, seed=1)
        red = apgd(model, images, y, 32.0, loss=loss, iterations=20, seed=0, red_eps=True)
        plain = apgd(model, images, y, 32.0, loss=loss, iterations=22, seed=0)
        self.assertLessEqual(float((red - images).abs().max()), 32.0 + 1e-4)
        self.assertGreaterEqual(float(red.min()), 0.0)
        self.assertLessEqual(float(red.max()), 255.0)
        self.assertLessEqual(mean_dice(model, red, y), mean_dice(model, plain, y))

    def test_start_point_of_the_first_restart(self):
        """``start`` replaces the first restart's random start (projected on the ball): with no iteration it is returned."""
        model = trained_blob_net()
        images, y = blobs(2, seed=4)
        start = (images + 20.0).clamp(0, 255)
        out = apgd(model, images, y, 8.0, iterations=0, seed=0, start=start)
        torch.testing.assert_close(out, torch.minimum(start, images + 8.0).clamp(0, 255))
        attack = APGD(iterations=0, seed=0)
        torch.testing.assert_close(attack(model, images, y, 8.0, start=start), out)

    def test_red_eps_passes(self):
        """Per restart: ``iterations`` gradient passes and one forward-only pass per run of the schedule."""
        model = CountingNet(tiny_net())
        images, label = data()
        attack = APGD(iterations=10, restarts=2, seed=0, red_eps=True)
        attack(model, images, label, 4.0)
        self.assertEqual((model.calls, model.grad_calls), (26, 20))
        self.assertEqual(attack.cost(4.0), 26.0)
        self.assertEqual(attack.name, "apgd_ce_red")

    def test_iterations_per_intensity(self):
        """``iterations={8: 3, 32: 7}``: 3 steps at eps 8 (and below), 7 at eps 32 (and between); the cost says so,
        check c's ``strengthened(4)`` multiplies each, and the record keeps the mapping as JSON writes it."""
        images, y = blobs(2, seed=1)
        attack = APGD(iterations={"8": 3, "32": 7}, seed=0)
        for eps, steps in ((2.0, 3), (8.0, 3), (16.0, 7), (32.0, 7)):
            model = CountingNet(tiny_net())
            adversarial = attack(model, images, y, eps)
            self.assertEqual((model.images, attack.cost(eps)), (2 * (steps + 1), float(steps + 1)))
            self.assertLessEqual(float((adversarial - images).abs().max()), eps + 1e-4)
        self.assertEqual(attack.strengthened(4).iterations, {8.0: 12, 32.0: 28})
        self.assertEqual(attack.describe()["iterations"], {"8": 3, "32": 7})
        with self.assertRaisesRegex(ValueError, "iterations at eps 8 must be an integer"):
            APGD(iterations={"8": 2.5})

    def test_restarts_per_intensity(self):
        """``restarts={16: 1, 32: 3}``: one run at eps 16 and below, three at eps 32; the passes, the cost, check c's
        ``strengthened(2)`` and the record follow the mapping; a count below 1 is refused."""
        images, y = blobs(2, seed=1)
        attack = APGD(iterations=4, restarts={"32": 3, "16": 1}, seed=0)
        for eps, runs in ((8.0, 1), (16.0, 1), (32.0, 3)):
            model = CountingNet(tiny_net())
            adversarial = attack(model, images, y, eps)
            self.assertEqual((model.images, attack.cost(eps)), (2 * runs * 5, float(runs * 5)))
            self.assertLessEqual(float((adversarial - images).abs().max()), eps + 1e-4)
        self.assertEqual(attack.strengthened(2).restarts, {16.0: 2, 32.0: 6})
        self.assertEqual(attack.describe()["restarts"], {"16": 1, "32": 3})
        with self.assertRaisesRegex(ValueError, "restarts at eps 32 must be >= 1"):
            APGD(restarts={"32": 0})

    def test_names_and_defaults(self):
        self.assertEqual(get_attack("apgd").name, "apgd_ce")
        self.assertEqual(get_attack("apgd_targeted_ce").name, "apgd_targeted_ce")
        self.assertEqual(get_attack("apgd", loss="js", targeted=True).name, "apgd_targeted_js")
        attack = get_attack("apgd_masked_ce")
        self.assertEqual((attack.loss, attack.iterations, attack.restarts, attack.targeted), ("masked_ce", 100, 1, False))
        self.assertEqual(attack.cost(8.0), 101.0)
        with self.assertRaisesRegex(ValueError, "unknown APGD loss 'dlr'"):
            APGD(loss="dlr")



class TestAdaptiveBudget(unittest.TestCase):
    """``patience``: an image stops after ``patience`` checkpoints without progress, or once broken; the others go on."""

    def test_without_patience_every_image_runs_every_iteration(self):
        attack = APGD(iterations=10, seed=0)
        model = trained_blob_net()
        images, y = blobs(2, seed=1)
        attack(model, images, y, 8.0)
        self.assertIsNone(attack.last_passes)

    def test_broken_images_stop_at_once(self):
        """A model that finds no foreground has Dice 0 from the start: one pass per run, each of red-eps's three."""
        images, y = blobs(3, seed=1)
        model = CountingNet(FixedOutput(foreground=False))
        attack = APGD(iterations=100, red_eps=True, patience=2, seed=0)
        attack(model, images, y, 8.0)
        self.assertEqual(attack.last_passes.tolist(), [3.0] * 3)
        self.assertEqual(model.images, 9)
        self.assertEqual(attack.cost(8.0), 103.0)  # the most an image can cost is unchanged

    def test_stalled_images_stop_after_patience_checkpoints(self):
        """Constant logits never improve: with checkpoints 22, 41, ... and patience 2 an image stops after
        iteration 41, i.e. 42 passes (the start and 41 steps); patience 1 stops after 22 (23 passes)."""
        images, y = blobs(2, seed=1)
        for patience, passes in ((1, 23.0), (2, 42.0)):
            model = CountingNet(FixedOutput(foreground=True))
            attack = APGD(iterations=100, patience=patience, seed=0)
            attack(model, images, y, 8.0)
            self.assertEqual(attack.last_passes.tolist(), [passes] * 2)
            self.assertEqual(model.images, 2 * passes)

    def test_passes_counted_per_image_and_images_independent(self):
        """On a trained model the images stop at different iterations; the passes counted per image sum to the
        images the model saw, and each image's result is the one it gets when attacked alone."""
        base = trained_blob_net()
        images, y = blobs(4, seed=5)
        model = CountingNet(base)
        attack = APGD(loss="js", iterations=60, patience=1, random_start=False, red_eps=True)
        together = attack(model, images, y, 32.0)
        spent = attack.last_passes
        self.assertEqual(float(spent.sum()), float(model.images))
        self.assertTrue(bool((spent <= attack.cost(32.0)).all()))
        self.assertLess(float(spent.sum()), 4 * attack.cost(32.0))
        for i in range(4):
            alone = attack(base, images[i : i + 1], y[i : i + 1], 32.0)
            torch.testing.assert_close(together[i : i + 1], alone, rtol=0, atol=1e-3)
            self.assertEqual(attack.last_passes.tolist(), [spent[i].item()])
        self.assertLessEqual(float((together - images).abs().max()), 32.0 + 1e-4)

    def test_small_gains_do_not_count_as_progress(self):
        """At eps 8 (no image broken) and with ``min_improvement`` above any Dice gain, each image stops after
        ``patience`` checkpoints of every red-eps run: the 30/30/40-iteration runs have their first checkpoints
        at 7, 13 / 7, 13 / 9, 17, so patience 2 stops them after 13, 13 and 17 steps (plus each run's first pass)."""
        model = trained_blob_net()
        images, y = blobs(3, seed=5)
        strict = APGD(loss="js", iterations=100, patience=2, red_eps=True, random_start=False)
        strict(model, images, y, 8.0)
        lenient = APGD(loss="js", iterations=100, patience=2, red_eps=True, random_start=False, min_improvement=2.0)
        lenient(model, images, y, 8.0)
        self.assertEqual(lenient.last_passes.tolist(), [(13 + 1) + (13 + 1) + (17 + 1)] * 3)
        self.assertTrue(bool((strict.last_passes > lenient.last_passes).all()))  # small gains kept the strict rule going
        with self.assertRaisesRegex(ValueError, "min_improvement"):
            APGD(min_improvement=-0.1)

    def test_strengthened_runs_every_iteration(self):
        stronger = APGD(iterations=10, patience=2).strengthened(4)
        self.assertEqual((stronger.iterations, stronger.restarts, stronger.patience), (40, 4, None))
        with self.assertRaisesRegex(ValueError, "patience"):
            APGD(patience=0)


if __name__ == "__main__":
    unittest.main()
