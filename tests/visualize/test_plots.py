"""Tests for the robustness figures: curves from one or many tables, drawn on given axes, and the qualitative panel."""

from __future__ import annotations

import os
import tempfile
import unittest

import torch
from matplotlib.figure import Figure
from parameterized import parameterized

from nlcen_monai.robustness import ResultFiles, RobustnessResult, write_robustness_table
from nlcen_monai.visualize import (
    adversarial_panel_figure,
    draw_robustness_curves,
    plot_adversarial_panel,
    plot_robustness_curves,
    robustness_curves_figure,
)

PNG = b"\x89PNG\r\n\x1a\n"


def rows(attack: str, drop: float, checks: str = "passed"):
    return [
        {"attack": attack, "eps": e, "dice": 0.95 - drop * e, "jaccard": 0.9 - drop * e, "n_images": 2,
         "checks": "" if e == 0 else checks}
        for e in (0, 0.5, 2, 4)
    ]


class TestPlots(unittest.TestCase):
    def test_curves_from_loaded_results(self):
        with tempfile.TemporaryDirectory() as d:
            for model, drop in (("nlcen", 0.01), ("unet", 0.1)):
                write_robustness_table(rows("targeted_ifgsm", drop) + rows("pgd", drop * 2), os.path.join(d, model, "robustness.csv"))
            tables = {m: RobustnessResult.load(ResultFiles.in_dir(os.path.join(d, m))).rows for m in ("nlcen", "unet")}
            out = plot_robustness_curves(tables, os.path.join(d, "c.png"))
            with open(out, "rb") as f:
                self.assertEqual(f.read(8), PNG)
            plot_robustness_curves({"a": rows("pgd", 0.1)}, os.path.join(d, "one.png"), attacks=["pgd"], title="t")
            with self.assertRaises(ValueError):
                plot_robustness_curves({"a": rows("pgd", 0.1)}, os.path.join(d, "none.png"), attacks=["segpgd"])
            with self.assertRaisesRegex(TypeError, "RobustnessResult.load"):  # loading is the store's job
                plot_robustness_curves([os.path.join(d, "nlcen", "robustness.csv")], os.path.join(d, "x.png"))
            self.assertFalse(os.path.exists(os.path.join(d, "none.png")))

    def test_curves_on_given_axes_mark_upper_bounds(self):
        fig = Figure()
        axes = fig.subplots(1, 2)
        n = draw_robustness_curves(axes, {"m": rows("pgd", 0.1, checks="failed:more_iterations") + rows("segpgd", 0.1)})
        self.assertEqual(n, 2)
        for ax in axes:
            lines = ax.get_lines()
            self.assertEqual(len(lines), 3)  # two curves, and the hollow upper-bound points of the failed one
            hollow = [line for line in lines if line.get_linestyle() == "None"]
            self.assertEqual(len(hollow), 1)
            self.assertEqual(list(hollow[0].get_xdata()), [0.5, 2.0, 4.0])  # not the clean point
            self.assertEqual(hollow[0].get_markerfacecolor(), "white")
        fig = robustness_curves_figure({"m": rows("pgd", 0.1, checks="unchecked")}, note="eps 0.5: not run")
        self.assertIn("hollow points: upper bounds", fig.texts[0].get_text())
        self.assertIn("eps 0.5: not run", fig.texts[0].get_text())
        passed = robustness_curves_figure({"m": rows("pgd", 0.1)}, fig=Figure())
        self.assertEqual(passed.texts, [])

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

    def test_panel_on_a_given_figure(self):
        images = torch.rand(2, 1, 16, 16) * 255
        masks = (images > 128).long()
        fig = Figure()
        self.assertIs(adversarial_panel_figure(images, images, masks, masks, masks, eps=2, title="t", fig=fig), fig)
        self.assertEqual(len(fig.axes), 2 * 6)

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
