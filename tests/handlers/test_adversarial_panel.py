"""Tests for the qualitative panel: it draws the adversarial images the evaluation kept and never attacks again."""

from __future__ import annotations

import os
import sys
import tempfile
import unittest
from pathlib import Path
from unittest import mock

import torch

from nlcen_monai.engines import AdversarialEvaluator
from nlcen_monai.handlers import AdversarialPanelWriter, RobustnessTableWriter

sys.path.insert(0, str(Path(__file__).resolve().parent))
from handler_utils import CountingThresholdNet, loader  # noqa: E402

PANEL = "nlcen_monai.handlers.adversarial_panel.plot_adversarial_panel"


def run(out_dir, panel, net=None, **kwargs):
    net = net or CountingThresholdNet()
    handlers = [RobustnessTableWriter(out_dir), panel]
    evaluator = AdversarialEvaluator("cpu", loader(6, first_row=4), net, epsilons=[2, 16], val_handlers=handlers, **kwargs)
    evaluator.run()
    return evaluator, net


class TestAdversarialPanel(unittest.TestCase):
    def test_draws_the_kept_images_without_a_pass(self):
        with tempfile.TemporaryDirectory() as d, tempfile.TemporaryDirectory() as bare:
            evaluator, net = run(d, AdversarialPanelWriter(d, eps=16, num_images=2))
            self.assertTrue(os.path.isfile(os.path.join(d, "robustness_panel_targeted_ifgsm_eps16.png")))
            _, without_panel = run(bare, AdversarialPanelWriter(bare, eps=3))  # eps 3 is not evaluated: nothing drawn
            self.assertEqual(net.grad_images, without_panel.grad_images)  # the panel cost no pass
            self.assertFalse([f for f in os.listdir(bare) if f.endswith(".png")])
            examples = evaluator.state.examples
            self.assertEqual(examples.case_ids, ["rank0_iteration1_0", "rank0_iteration1_1"])
            self.assertTrue(torch.all((examples.adversarial[16.0] - examples.images).abs() <= 16 + 1e-4))
            with mock.patch(PANEL) as plot:
                AdversarialPanelWriter(d, eps=16, num_images=1)(evaluator)
            images, adversarial, clean_pred, adv_pred, label, _ = plot.call_args.args
            torch.testing.assert_close(adversarial, examples.adversarial[16.0][:1])
            torch.testing.assert_close(adv_pred, examples.pred[16.0][:1])
            torch.testing.assert_close(clean_pred, examples.pred[0.0][:1])
            self.assertEqual(images.shape[0], 1)

    def test_resumed_run_with_nothing_left_draws_nothing(self):
        with tempfile.TemporaryDirectory() as d:
            run(d, AdversarialPanelWriter(d, eps=16))
            os.remove(os.path.join(d, "robustness_panel_targeted_ifgsm_eps16.png"))
            panel = AdversarialPanelWriter(d, eps=16)
            with self.assertLogs("nlcen_monai.handlers.adversarial_panel", level="INFO") as logs:
                evaluator, net = run(d, panel)
            self.assertEqual(net.grad_images, 0)
            self.assertIsNone(evaluator.state.examples)
            self.assertIn("no image was attacked at eps 16", logs.output[0])
            self.assertFalse(os.path.exists(os.path.join(d, "robustness_panel_targeted_ifgsm_eps16.png")))

    def test_more_images_than_kept(self):
        with tempfile.TemporaryDirectory() as d:
            with mock.patch(PANEL) as plot, self.assertLogs("nlcen_monai.handlers.adversarial_panel", level="WARNING"):
                run(d, AdversarialPanelWriter(d, eps=2, num_images=3), keep_examples=1)
            self.assertEqual(plot.call_args.args[0].shape[0], 1)


if __name__ == "__main__":
    unittest.main()
