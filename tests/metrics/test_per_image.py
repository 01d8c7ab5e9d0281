"""Tests for the one per-image Dice/Jaccard function: MONAI's numbers, empty labels, and its users agree."""

from __future__ import annotations

import unittest

import torch
from monai.metrics import DiceMetric, MeanIoU
from monai.networks.utils import one_hot
from parameterized import parameterized

from nlcen_monai.attacks.utils import per_image_dice
from nlcen_monai.metrics import per_image_scores


class TestPerImageScores(unittest.TestCase):
    @parameterized.expand([(2, (16, 16)), (3, (8, 8, 8))])
    def test_matches_monai_metrics(self, num_classes, spatial):
        g = torch.Generator().manual_seed(0)
        pred = torch.randint(0, num_classes, (3, 1, *spatial), generator=g)
        label = torch.randint(0, num_classes, (3, 1, *spatial), generator=g).float()
        dice, jaccard = per_image_scores(pred, label, num_classes)
        p, y = one_hot(pred, num_classes), one_hot(label, num_classes)
        torch.testing.assert_close(dice, DiceMetric(include_background=False, reduction="none")(p, y).mean(1))
        torch.testing.assert_close(jaccard, MeanIoU(include_background=False, reduction="none")(p, y).mean(1))
        torch.testing.assert_close(per_image_scores(pred, label[:, 0], num_classes)[0], dice)  # (B, *spatial) labels

    def test_empty_label_counts(self):
        label = torch.zeros(2, 1, 4, 4)
        pred = torch.zeros(2, 1, 4, 4, dtype=torch.long)
        pred[1, 0, 0, 0] = 1
        dice, jaccard = per_image_scores(pred, label, 2)
        self.assertEqual(dice.tolist(), [1.0, 0.0])
        self.assertEqual(jaccard.tolist(), [1.0, 0.0])
        with self.assertRaisesRegex(ValueError, "shape"):
            per_image_scores(pred, torch.zeros(2, 1, 4, 5), 2)

    def test_attacks_use_the_same_function(self):
        g = torch.Generator().manual_seed(1)
        logits = torch.randn(4, 2, 8, 8, generator=g)
        target = torch.randint(0, 2, (4, 8, 8), generator=g)
        expected = per_image_scores(logits.argmax(1, keepdim=True), target, 2)[0]
        torch.testing.assert_close(per_image_dice(logits, target), expected)


if __name__ == "__main__":
    unittest.main()
