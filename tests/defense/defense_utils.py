"""Shared scaffolding of the adversarial-training tests: 32 x 32 chest phantoms, a tiny BatchNorm UNet, trainers."""

from __future__ import annotations

import numpy as np
import torch
from monai.data import DataLoader, Dataset
from monai.engines import SupervisedTrainer
from monai.networks.nets import UNet
from monai.utils import set_determinism

from nlcen_monai.attacks import PGD
from nlcen_monai.data import chest_phantom
from nlcen_monai.engines import AdversarialSupervisedTrainer
from nlcen_monai.losses import LabelCrossEntropyLoss
from nlcen_monai.networks.nets import PixelNormalizedNet

SIZE = 32


def phantoms(start: int, n: int, size: int = SIZE) -> list[dict]:
    """``n`` chest phantoms (seeds ``start`` ...) as dicts of (1, size, size) float tensors in [0, 255]."""
    items = []
    for i in range(start, start + n):
        image, mask = chest_phantom(size, rng=i)
        items.append(
            {"image": torch.from_numpy(image[None].astype(np.float32)), "label": torch.from_numpy(mask[None].astype(np.float32))}
        )
    return items


def stacked(items: list[dict]) -> tuple[torch.Tensor, torch.Tensor]:
    """``(images, labels)`` batches of ``items``."""
    return torch.stack([d["image"] for d in items]), torch.stack([d["label"] for d in items])


def tiny_net(channels: tuple[int, ...] = (8, 16, 32)) -> PixelNormalizedNet:
    """A two-level MONAI UNet with BatchNorm (so that train/eval mode matters) in the pixel domain."""
    strides = (2,) * (len(channels) - 1)
    return PixelNormalizedNet(UNet(2, 1, 2, channels=channels, strides=strides, num_res_units=0, norm="batch"))


def madry_pgd(steps: int = 5) -> PGD:
    """PGD-k as adversarial training crafts with it: ``steps`` steps of ``2.5 eps / steps`` from a random start."""
    return PGD(steps=steps, step_ratio=2.5 / steps)


def make_trainer(
    items: list[dict],
    adversarial: bool = True,
    epochs: int = 2,
    batch_size: int = 8,
    seed: int = 0,
    lr: float = 3e-3,
    network: torch.nn.Module | None = None,
    **kwargs,
) -> SupervisedTrainer:
    """A (clean or adversarial) trainer of ``tiny_net`` on ``items``, seeded as a bundle's ``set_determinism`` does;
    the adversarial one crafts with ``kwargs["attack"]``, by default :func:`madry_pgd` (PGD-5)."""
    set_determinism(seed)
    net = tiny_net() if network is None else network
    loader = DataLoader(Dataset(items), batch_size=batch_size, shuffle=True)
    common = {
        "device": "cpu",
        "max_epochs": epochs,
        "train_data_loader": loader,
        "network": net,
        "optimizer": torch.optim.Adam(net.parameters(), lr),
        "loss_function": LabelCrossEntropyLoss(),
    }
    if not adversarial:
        return SupervisedTrainer(**common, **kwargs)
    kwargs.setdefault("attack", madry_pgd())
    return AdversarialSupervisedTrainer(**common, seed=seed, **kwargs)
