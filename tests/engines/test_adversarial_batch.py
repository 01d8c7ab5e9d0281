"""The adversarial trainer's ``prepare_batch``: it needs its trainer, wraps the clean ``prepare_batch``
(extra network arguments included) and returns the objective's training inputs."""

from __future__ import annotations

import sys
import unittest
from pathlib import Path

import torch
from monai.data import MetaTensor
from monai.engines.utils import default_prepare_batch

from nlcen_monai.engines.adversarial_batch import AdversarialPrepareBatch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "defense"))
from defense_utils import SIZE, madry_pgd, make_trainer, phantoms, stacked, tiny_net  # noqa: E402


class WithExtraArgument(torch.nn.Module):
    """The tiny network, with a keyword argument that MONAI's iteration hands over from ``prepare_batch``."""

    def __init__(self) -> None:
        super().__init__()
        self.net, self.scales = tiny_net(), []

    def forward(self, x, scale: float = 1.0):
        if self.training:
            self.scales.append(scale)
        return self.net(x)


class TestAdversarialPrepareBatch(unittest.TestCase):
    def test_needs_its_trainer(self):
        images, labels = stacked(phantoms(0, 2))
        with self.assertRaises(RuntimeError):
            AdversarialPrepareBatch()({"image": images, "label": labels})

    def test_clean_batch_is_plain_tensors(self):
        images, labels = stacked(phantoms(0, 2))
        batch = {"image": MetaTensor(images), "label": MetaTensor(labels)}
        x, y, args, kwargs = AdversarialPrepareBatch(default_prepare_batch).clean_batch(batch, "cpu")
        self.assertIs(type(x), torch.Tensor)
        self.assertIs(type(y), torch.Tensor)
        self.assertEqual((args, kwargs), ((), {}))
        torch.testing.assert_close(x, images, rtol=0, atol=0)

    def test_training_inputs_and_extra_arguments(self):
        def prepare_with_scale(batchdata, device=None, non_blocking=False, **kwargs):
            images, labels = default_prepare_batch(batchdata, device, non_blocking, **kwargs)
            return images, labels, (), {"scale": 0.5}

        net, items = WithExtraArgument(), phantoms(0, 4)
        trainer = make_trainer(items, epochs=1, batch_size=4, network=net, eps=8.0, attack=madry_pgd(1), clean_weight=0.5,
                               prepare_batch=prepare_with_scale)
        images, labels = stacked(items)
        inputs, targets, args, kwargs = trainer.prepare_batch({"image": images, "label": labels}, "cpu")
        self.assertEqual(tuple(inputs.shape), (8, 1, SIZE, SIZE))  # clean and adversarial
        self.assertEqual((tuple(targets.shape), args, kwargs), ((4, 1, SIZE, SIZE), (), {"scale": 0.5}))
        trainer.run()
        self.assertEqual(net.scales, [0.5])


if __name__ == "__main__":
    unittest.main()
