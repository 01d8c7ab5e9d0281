"""The calling convention's adversarial-training half: ``reseeded`` copies and the ``loss`` argument."""

from __future__ import annotations

import unittest

import torch

from nlcen_monai.attacks import NFGSM, PGD, TargetedIFGSM

from tests.attacks.attack_checks import data, tiny_net


class TestReseeded(unittest.TestCase):
    def test_copy_with_the_new_seed(self):
        attack = PGD(steps=2, seed=0)
        copy = attack.reseeded(5)
        self.assertIsNot(copy, attack)
        self.assertEqual((copy.seed, attack.seed), (5, 0))  # the original is untouched
        self.assertEqual({**copy.describe(), "seed": 0}, attack.describe())
        model = tiny_net().eval()
        images, label = data()
        self.assertTrue(torch.equal(copy(model, images, label, 8.0), PGD(steps=2, seed=5)(model, images, label, 8.0)))
        self.assertFalse(torch.equal(copy(model, images, label, 8.0), attack(model, images, label, 8.0)))

    def test_none_is_the_global_generator(self):
        self.assertIsNone(NFGSM(seed=3).reseeded(None).seed)

    def test_deterministic_attack_is_returned_as_it_is(self):
        attack = TargetedIFGSM()
        self.assertIs(attack.reseeded(5), attack)


class TestLossArgument(unittest.TestCase):
    def test_the_factory_gets_the_labels_the_attack_uses_and_its_steps(self):
        seen = []

        def loss(y, n):
            seen.append((y.shape, y.dtype, n))
            return lambda logits, step: logits[:, 1].sum()

        images, label = data()
        PGD(steps=3, seed=0)(tiny_net().eval(), images, label, 4.0, loss=loss)
        self.assertEqual(seen, [(label[:, 0].shape, torch.long, 3)])

    def test_zero_eps_never_builds_the_loss(self):
        images, label = data()
        out = PGD(steps=3)(tiny_net().eval(), images, label, 0.0, loss=lambda y, n: self.fail("loss built"))
        self.assertTrue(torch.equal(out, images))


if __name__ == "__main__":
    unittest.main()
