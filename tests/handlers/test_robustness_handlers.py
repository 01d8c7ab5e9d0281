"""Tests for the robustness handlers: table (and resume), curves and qualitative panel, end to end."""

from __future__ import annotations

import csv
import json
import os
import sys
import tempfile
import unittest
from pathlib import Path
from unittest import mock

from parameterized import parameterized

from nlcen_monai.attacks import PGD, TargetedIFGSM
from nlcen_monai.engines import AdversarialEvaluator
from nlcen_monai.handlers import AdversarialPanelWriter, RobustnessCurvesWriter, RobustnessTableWriter, log_robustness_metrics
from nlcen_monai.robustness import CHECK_NAMES, GradientMaskingChecks

sys.path.insert(0, str(Path(__file__).resolve().parent))
from handler_utils import CountingThresholdNet, loader  # noqa: E402


def evaluate(out_dir, epsilons, attack="targeted_ifgsm", panel=True, **kwargs):
    net = CountingThresholdNet()
    handlers = [RobustnessTableWriter(out_dir), RobustnessCurvesWriter(out_dir)]
    if panel:
        handlers.append(AdversarialPanelWriter(out_dir, eps=16, num_images=2))
    evaluator = AdversarialEvaluator("cpu", loader(), net, epsilons=epsilons, attack=attack, val_handlers=handlers, **kwargs)
    evaluator.run()
    return evaluator, net


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


class TestRobustnessHandlers(unittest.TestCase):
    def test_writes_all_outputs(self):
        with tempfile.TemporaryDirectory() as d:
            evaluate(d, [2, 16])
            self.assertEqual(
                sorted(os.listdir(d)),
                [
                    "robustness.csv",
                    "robustness.json",
                    "robustness_curves.png",
                    "robustness_panel_targeted_ifgsm_eps16.png",
                    "robustness_per_image.csv",
                ],
            )
            rows = read_csv(os.path.join(d, "robustness.csv"))
            self.assertEqual(list(rows[0]), ["attack", "role", "eps", "dice", "dice_low", "dice_high", "jaccard", "n_images", "passes", "checks", "upper_bound"])
            self.assertEqual([r["eps"] for r in rows], ["0", "2", "16"])
            self.assertTrue(all(r["n_images"] == "4" and r["attack"] == "targeted_ifgsm" for r in rows))
            self.assertGreater(float(rows[0]["dice"]), float(rows[2]["dice"]))
            # no checks: every adversarial cell is an upper bound; the clean one is a measurement
            self.assertEqual([r["checks"] for r in rows], ["", "unchecked", "unchecked"])
            # passes per image: the sweep's 16 trunk steps and fork tails 1 and 4, shared out by intensity
            self.assertEqual([float(r["passes"]) for r in rows], [0.0, 3.0, 18.0])
            with open(os.path.join(d, "robustness.json")) as f:
                report = json.load(f)
            self.assertEqual([r["eps"] for r in report["rows"]], [0.0, 2.0, 16.0])
            self.assertAlmostEqual(report["rows"][2]["dice"], float(rows[2]["dice"]))
            self.assertIn("not run", report["verdict"])
            self.assertTrue(report["complete"])
            self.assertEqual(report["intensities"]["16"], {
                "status": "unchecked", "failed": [], "unchecked": list(CHECK_NAMES), "upper_bound": True})
            self.assertEqual(report["passes"]["run"], 4 * (16 + 1 + 4))  # per image: 16 trunk steps, fork tails 1 and 4
            per_image = read_csv(os.path.join(d, "robustness_per_image.csv"))
            self.assertEqual(list(per_image[0]), ["case_id", "attack", "role", "eps", "dice", "jaccard", "source", "passes"])
            self.assertEqual(len(per_image), 3 * 4)
            mean16 = sum(float(r["dice"]) for r in per_image if r["eps"] == "16") / 4
            self.assertAlmostEqual(mean16, float(rows[2]["dice"]), places=6)
            for png in ("robustness_curves.png", "robustness_panel_targeted_ifgsm_eps16.png"):
                with open(os.path.join(d, png), "rb") as f:
                    self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")

    def test_resume_computes_only_new_intensities(self):
        with tempfile.TemporaryDirectory() as d:
            first, _ = evaluate(d, [2, 4], panel=False)
            old = read_csv(os.path.join(d, "robustness.csv"))
            old_per_image = read_csv(os.path.join(d, "robustness_per_image.csv"))
            second, net = evaluate(d, [2, 4, 8], panel=False)
            self.assertEqual([r["eps"] for r in second.state.robustness_run.rows], [8.0])
            self.assertEqual(net.grad_images, 4 * 10)  # 4 images x num_steps(8): nothing recomputed
            rows = read_csv(os.path.join(d, "robustness.csv"))
            self.assertEqual([r["eps"] for r in rows], ["0", "2", "4", "8"])
            self.assertEqual(rows[:3], old)
            per_image = read_csv(os.path.join(d, "robustness_per_image.csv"))
            self.assertEqual(len(per_image), len(old_per_image) + 4)
            self.assertTrue(all(r in per_image for r in old_per_image))
            # everything done: no attack at all, tables unchanged
            third, net = evaluate(d, [4, 8], panel=False)
            self.assertEqual(third.state.robustness_run.rows, [])
            self.assertEqual(net.grad_images, 0)
            self.assertEqual(read_csv(os.path.join(d, "robustness.csv")), rows)
            self.assertEqual(read_csv(os.path.join(d, "robustness_per_image.csv")), per_image)
            # another attack name is a separate sweep in the same table
            evaluate(d, [4], attack="ifgsm", panel=False)
            rows = read_csv(os.path.join(d, "robustness.csv"))
            self.assertEqual([(r["attack"], r["eps"]) for r in rows][:2], [("ifgsm", "0"), ("ifgsm", "4")])
            self.assertEqual(len(rows), 6)
            self.assertFalse([f for f in os.listdir(d) if f.endswith(".tmp") or f.startswith(".")])

    def test_checks_in_report_and_resumed_judging(self):
        with tempfile.TemporaryDirectory() as d:
            members = [TargetedIFGSM(), PGD(alpha=2, steps=6, seed=0)]
            evaluate(d, [2, 8, 16], attack=members, panel=False, checks=GradientMaskingChecks())
            with open(os.path.join(d, "robustness.json")) as f:
                report = json.load(f)
            self.assertEqual(sorted(report["checks"]), ["black_box", "monotone", "more_iterations", "unbounded"])
            self.assertIsNone(report["checks"]["black_box"]["passed"])  # no black-box attack configured
            self.assertIn("not run (black_box)", report["verdict"])
            self.assertEqual(report["settings"]["attack"]["name"], "worst_case")
            attacks = {r["attack"] for r in read_csv(os.path.join(d, "robustness.csv"))}
            self.assertEqual(attacks, {"worst_case", "targeted_ifgsm", "pgd", "check_unbounded", "check_monotone", "check_more_iterations"})
            # a resumed run with nothing left judges the checks on the table already written
            again, net = evaluate(d, [2, 8, 16], attack=members, panel=False, checks=GradientMaskingChecks())
            self.assertEqual(net.grad_images, 0)
            self.assertEqual(again.state.robustness.checks, report["checks"])

    def test_resume_recomputes_the_rows_of_a_changed_check(self):
        """A resumed run whose unbounded check has other attacks drops that check's rows (with a warning) and
        recomputes them; the rows the change did not touch are kept."""
        members = [TargetedIFGSM(), PGD(alpha=2, steps=6, seed=0)]

        def checks(steps):
            return GradientMaskingChecks(unbounded_attacks=[PGD(steps=steps, seed=0)])

        with tempfile.TemporaryDirectory() as d:
            evaluate(d, [2, 8], attack=members, panel=False, checks=checks(2))
            before = {(r["attack"], r["eps"], r["case_id"]): r for r in read_csv(os.path.join(d, "robustness_per_image.csv"))}
            with self.assertLogs(level="WARNING") as logs:
                again, net = evaluate(d, [2, 8], attack=members, panel=False, checks=checks(5))
            self.assertIn("the unbounded check's attacks changed: 4 recorded rows dropped", "\n".join(logs.output))
            self.assertEqual(net.grad_images, 4 * 5)  # only check b ran again: 4 images x 5 steps
            self.assertEqual({r["attack"] for r in again.state.robustness_run.per_image}, {"check_unbounded"})
            after = {(r["attack"], r["eps"], r["case_id"]): r for r in read_csv(os.path.join(d, "robustness_per_image.csv"))}
            self.assertEqual(after.keys(), before.keys())
            self.assertEqual({k: r for k, r in after.items() if k[0] != "check_unbounded"},
                             {k: r for k, r in before.items() if k[0] != "check_unbounded"})
            with open(os.path.join(d, "robustness.json")) as f:
                self.assertEqual(json.load(f)["settings"]["checks"]["unbounded_attacks"][0]["steps"], 5)

    def test_a_store_shared_by_two_attacks_sees_a_change_to_either(self):
        """Two evaluated attacks share one store; a change to the first is seen after the second ran last."""
        with tempfile.TemporaryDirectory() as d:
            evaluate(d, [4], attack=PGD(steps=2, seed=0), panel=False)
            evaluate(d, [4], attack="ifgsm", panel=False)
            before = read_csv(os.path.join(d, "robustness_per_image.csv"))
            with self.assertLogs(level="WARNING") as logs:
                again, net = evaluate(d, [4], attack=PGD(steps=3, seed=0), panel=False)
            self.assertIn("the attack changed: 4 recorded rows dropped", "\n".join(logs.output))
            self.assertEqual(net.grad_images, 4 * 3)  # the pgd rows again, 4 images x 3 steps
            after = read_csv(os.path.join(d, "robustness_per_image.csv"))
            self.assertEqual([r for r in after if r["attack"] == "ifgsm"], [r for r in before if r["attack"] == "ifgsm"])
            with open(os.path.join(d, "robustness.json")) as f:
                recorded = json.load(f)["settings"]["attacks"]
            self.assertEqual(sorted(recorded), ["ifgsm", "pgd"])
            self.assertEqual(recorded["pgd"]["steps"], 3)
            # unchanged: nothing is recomputed, whichever attack ran last
            evaluate(d, [4], attack="ifgsm", panel=False)
            _, net = evaluate(d, [4], attack=PGD(steps=3, seed=0), panel=False)
            self.assertEqual(net.grad_images, 0)

    def test_no_resume_recomputes(self):
        with tempfile.TemporaryDirectory() as d:
            evaluate(d, [2], panel=False)
            net = CountingThresholdNet()
            evaluator = AdversarialEvaluator(
                "cpu", loader(), net, epsilons=[2], val_handlers=[RobustnessTableWriter(d, resume=False)]
            )
            evaluator.run()
            self.assertEqual(net.grad_images, 4 * 3)

    def test_log_in_numeric_order(self):
        evaluator = AdversarialEvaluator("cpu", loader(), CountingThresholdNet(), epsilons=[10, 2])
        evaluator.run()
        with self.assertLogs(evaluator.logger, level="INFO") as logs:
            log_robustness_metrics(evaluator)
        line = logs.output[0]
        self.assertLess(line.index("dice@2:"), line.index("dice@10:"))
        self.assertLess(line.index("dice@0:"), line.index("dice@2:"))
        # no checks: every adversarial figure is marked as an upper bound, the clean one is not
        self.assertRegex(line, r"dice@2: <=[0-9.]+ ")
        self.assertRegex(line, r"dice@0: [0-9.]+ \[[0-9.]+, [0-9.]+\] n=4 ")  # each Dice with its interval and n
        self.assertIn("gradient-masking checks ('<=': an upper bound): gradient-masking checks not run", logs.output[-1])

    @parameterized.expand([("table",), ("curves",), ("panel",)])
    def test_only_rank_zero_writes(self, which):
        with tempfile.TemporaryDirectory() as d:
            handler = {
                "table": RobustnessTableWriter(d, resume=False),
                "curves": RobustnessCurvesWriter(d),
                "panel": AdversarialPanelWriter(d, eps=2),
            }[which]
            module = f"nlcen_monai.handlers.{ {'table': 'robustness_table', 'curves': 'robustness_curves', 'panel': 'adversarial_panel'}[which]}"
            with mock.patch(f"{module}.idist.get_rank", return_value=1):
                AdversarialEvaluator("cpu", loader(), CountingThresholdNet(), epsilons=[1], val_handlers=[handler]).run()
            self.assertEqual(os.listdir(d), [])

    def test_curves_with_other_models(self):
        with tempfile.TemporaryDirectory() as d:
            other = os.path.join(d, "other")
            evaluate(other, [2], panel=False)
            curves = RobustnessCurvesWriter(d, model_name="this", other_models={"other": os.path.join(other, "robustness.csv")})
            AdversarialEvaluator("cpu", loader(), CountingThresholdNet(), epsilons=[2], val_handlers=[curves]).run()
            self.assertTrue(os.path.isfile(os.path.join(d, "robustness_curves.png")))


if __name__ == "__main__":
    unittest.main()
