"""Tests for the robustness figures: curves from one or many tables, and the qualitative panel."""

from __future__ import annotations

import os
import tempfile
import unittest

import torch
from parameterized import parameterized

from nlcen_monai.robustness import write_robustness_table
from nlcen_monai.visualize import adversarial_panel_figure, plot_adversarial_panel, plot_robustness_curves

PNG = b"\x89PNG\r\n\x1a\n"


def rows(attack: str, drop: float):
    return [
        {"attack": attack, "eps": e, "dice": 0.95 - drop * e, "jaccard": 0.9 - drop * e, "n_images": 2}
        for e in (0, 0.5, 2, 4)
    ]


class TestPlots(unittest.TestCase):
    def test_curves_from_csv_files(self):
        with tempfile.TemporaryDirectory() as d:
            for model, drop in (("nlcen", 0.01), ("unet", 0.1)):
                write_robustness_table(rows("targeted_ifgsm", drop) + rows("pgd", drop * 2), os.path.join(d, model, "robustness.csv"))
            out = plot_robustness_curves([os.path.join(d, m, "robustness.csv") for m in ("nlcen", "unet")], os.path.join(d, "c.png"))
            with open(out, "rb") as f:
                self.assertEqual(f.read(8), PNG)
            plot_robustness_curves({"a": rows("pgd", 0.1)}, os.path.join(d, "one.png"), attacks=["pgd"], title="t")
            with self.assertRaises(ValueError):
                plot_robustness_curves({"a": rows("pgd", 0.1)}, os.path.join(d, "none.png"), attacks=["segpgd"])
            with self.assertRaises(FileNotFoundError):
                plot_robustness_curves([os.path.join(d, "missing", "robustness.csv")], os.path.join(d, "x.png"))
            self.assertFalse(os.path.exists(os.path.join(d, "none.png")))

    @parameterized.expand([(1, 1), (3, 2)])
    def test_panel(self, channels, n):
        images = torch.rand(n, channels, 32, 32) * 255
        adversarial = (images + 8 * torch.sign(torch.randn_like(images))).clamp(0, 255)
        masks = (torch.rand(n, 1, 32, 32) > 0.5).float()
        with tempfile.TemporaryDirectory() as d:
            out = plot_adversarial_panel(images, adversarial, masks[:, 0], 1 - masks, masks, os.path.join(d, "p.png"), eps=8)
            with open(out, "rb") as f:
                self.assertEqual(f.read(8), PNG)
            self.assertEqual(os.listdir(d), ["p.png"])

    @parameterized.expand([(True,), (False,)])
    def test_panel_orientation(self, reverse_indexing):
        """(x, y)-ordered arrays from MONAI's readers are shown rows first; (row, column) ones as they are."""
        images = torch.arange(24 * 40, dtype=torch.float32).reshape(1, 1, 24, 40) / (24 * 40) * 255
        masks = (images > 128).long()[:, 0]
        fig = adversarial_panel_figure(images, images + 1, masks, 1 - masks, masks, eps=1, reverse_indexing=reverse_indexing)
        axes = fig.axes
        expected_image = images[0, 0].T if reverse_indexing else images[0, 0]
        expected_mask = masks[0].T if reverse_indexing else masks[0]
        torch.testing.assert_close(torch.as_tensor(axes[0].get_images()[0].get_array()), expected_image)
        torch.testing.assert_close(torch.as_tensor(axes[1].get_images()[0].get_array()), torch.ones(expected_image.shape))
        for ax, mask in zip(axes[3:6], (expected_mask, 1 - expected_mask, expected_mask)):
            torch.testing.assert_close(torch.as_tensor(ax.get_images()[0].get_array()).long(), mask)


if __name__ == "__main__":
    unittest.main()
