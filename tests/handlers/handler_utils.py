"""Shared pieces of the handler tests: a threshold network that counts its gradient passes, and blob images."""

from __future__ import annotations

import torch
import torch.nn as nn
from monai.data import DataLoader, Dataset


class CountingThresholdNet(nn.Module):
    """Foreground where the 3x3 mean exceeds 128; counts the images of its gradient passes."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3, padding=1)
        with torch.no_grad():
            self.conv.weight.zero_()
            self.conv.weight[1] = 1 / 90
            self.conv.weight[0] = -1 / 90
            self.conv.bias.copy_(torch.tensor([128 / 10, -128 / 10]))
        self.grad_images = 0

    def forward(self, x):
        if torch.is_grad_enabled() and x.requires_grad:
            self.grad_images += x.shape[0]
        return self.conv(x)


def loader(n: int = 4, first_row: int = 6) -> DataLoader:
    """``n`` 32 x 32 images of a 16 x 16 blob (image ``i`` starts at row ``first_row + i``), batches of 2."""
    g = torch.Generator().manual_seed(0)
    items = []
    for i in range(n):
        label = torch.zeros(1, 32, 32)
        label[:, first_row + i : first_row + 16 + i, 8:24] = 1
        image = label * 24 + 116 + torch.randint(-3, 4, (1, 32, 32), generator=g).float()
        items.append({"image": image, "label": label})
    return DataLoader(Dataset(items), batch_size=2)
