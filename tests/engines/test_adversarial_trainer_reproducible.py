"""The trainer crafts, bit for bit, what nlcen-monai 0.5 crafted (``craft_adversarial`` of the former
``nlcen_monai/defense/crafting.py``), so that the released model's training stays reproducible.

The reference below writes that crafting out in plain torch: the seeded uniform start
(``torch.rand`` from a CPU generator seeded with ``iteration_seed(seed, iteration, rank)``), the signed
steps (projected on the eps-ball for PGD and FGSM-RS, not for N-FGSM) and the two losses (the summed
cross entropy, TRADES' summed KL to the eval-mode clean prediction), the network in eval mode.
"""

from __future__ import annotations

import unittest

import torch
import torch.nn.functional as F
from parameterized import parameterized

from nlcen_monai.attacks import FGSMRS, NFGSM
from nlcen_monai.attacks.utils import iteration_seed

from tests.defense.defense_utils import madry_pgd, make_trainer, phantoms, stacked


def reference_craft(net, images, labels, eps, method, steps=5, step_ratio=None, loss="ce", seed=None, noise_ratio=2.0):
    """nlcen-monai 0.5's crafting of one training batch (methods "pgd", "fgsm_rs", "n_fgsm"; losses "ce", "trades_kl")."""
    ratio = {"fgsm_rs": 1.25, "n_fgsm": 1.0}.get(method, 2.5 / steps) if step_ratio is None else step_ratio
    iterations = steps if method == "pgd" else 1
    alpha = ratio * eps
    mode = net.training
    net.eval()
    try:
        y = labels[:, 0].long()
        if loss == "trades_kl":
            with torch.no_grad():
                clean = net(images)

            def objective(logits):
                kl = F.kl_div(F.log_softmax(logits.float(), 1), F.log_softmax(clean.float(), 1), reduction="none", log_target=True)
                return kl.sum(1).sum()
        else:

            def objective(logits):
                return F.cross_entropy(logits, y, reduction="sum")

        radius = noise_ratio * eps if method == "n_fgsm" else eps
        noise = torch.rand(images.shape, dtype=images.dtype, generator=torch.Generator().manual_seed(seed))
        x = torch.clamp(images + (2 * noise - 1) * radius, 0, 255)
        for _ in range(iterations):
            x = x.detach().requires_grad_(True)
            (grad,) = torch.autograd.grad(objective(net(x)), x)
            x = x.detach() + alpha * torch.sign(grad)
            if method != "n_fgsm":
                x = torch.clamp(x, images - eps, images + eps)
            x = torch.clamp(x, 0, 255)
        return x.detach()
    finally:
        net.train(mode)


# (the former method and its arguments, the attack object the configs now give, the objective)
CASES = [
    ("pgd2_mix", {"method": "pgd", "steps": 2}, madry_pgd(2), "mix"),
    ("pgd3_trades", {"method": "pgd", "steps": 3}, madry_pgd(3), "trades"),
    ("fgsm_rs_mix", {"method": "fgsm_rs"}, FGSMRS(), "mix"),
    ("fgsm_rs_trades", {"method": "fgsm_rs", "step_ratio": 1.1}, FGSMRS(step_ratio=1.1), "trades"),
    ("n_fgsm_mix", {"method": "n_fgsm", "noise_ratio": 1.5}, NFGSM(noise_ratio=1.5), "mix"),
    ("n_fgsm_trades", {"method": "n_fgsm"}, NFGSM(), "trades"),
]


class TestReproducibleCrafting(unittest.TestCase):
    @parameterized.expand(CASES)
    def test_crafted_batches_are_the_former_ones(self, _, former, attack, objective):
        items = phantoms(0, 4)
        images, labels = stacked(items)
        trainer = make_trainer(items, epochs=1, batch_size=4, attack=attack, objective=objective, eps=8.0)
        loss = "trades_kl" if objective == "trades" else "ce"
        for iteration, eps in ((1, 8.0), (7, 5.3), (12, 2.0 / 3.0)):
            trainer.state.iteration = iteration
            crafted = trainer.craft(images, labels, eps)
            want = reference_craft(trainer.network, images, labels, eps, loss=loss, seed=iteration_seed(0, iteration, 0), **former)
            torch.testing.assert_close(crafted, want, rtol=0, atol=0)
            self.assertFalse(torch.equal(crafted, images))
        self.assertTrue(trainer.network.training)


if __name__ == "__main__":
    unittest.main()
