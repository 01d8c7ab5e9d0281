"""Tests for the corruption figure: one line and one band per corruption, each starting at the clean mean."""

from __future__ import annotations

import tempfile
import unittest
from pathlib import Path

import numpy as np

from nlcen_monai.robustness import CLEAN
from nlcen_monai.visualize import corruption_curves_figure, plot_corruption_curves


def unit(corruption: str, severity: int, mean: float) -> dict:
    return {"corruption": corruption, "severity": severity, "parameter": None, "mean": mean, "lo": mean - 0.01,
            "hi": mean + 0.01, "n": 4}


SUMMARY = {
    "metric": "dice",
    "confidence": 0.95,
    "rows": [unit(CLEAN, 0, 0.9)] + [unit(n, s, 0.9 - 0.05 * s * k) for k, n in enumerate(("jpeg", "brightness"), 1)
                                    for s in (1, 2, 3)],
}


class TestCorruptionCurves(unittest.TestCase):
    def test_a_line_per_corruption_from_the_clean_mean(self):
        ax = corruption_curves_figure(SUMMARY).axes[0]
        lines = {line.get_label(): line for line in ax.get_lines()}
        self.assertEqual(set(lines), {"jpeg", "brightness"})
        np.testing.assert_allclose(lines["brightness"].get_xdata(), [0, 1, 2, 3])
        np.testing.assert_allclose(lines["brightness"].get_ydata(), [0.9, 0.8, 0.7, 0.6])
        self.assertEqual(len(ax.collections), 2)  # the interval bands
        self.assertIn("n = 4", ax.get_ylabel())

    def test_saved_as_png_and_refused_without_corruptions(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = plot_corruption_curves(SUMMARY, Path(tmp) / "c.png", title="t")
            self.assertEqual(path.read_bytes()[:4], b"\x89PNG")
        with self.assertRaises(ValueError):
            corruption_curves_figure({"rows": [unit(CLEAN, 0, 0.9)]})


if __name__ == "__main__":
    unittest.main()
