"""Tests for the results store on disk: a killed evaluation resumes inside an intensity, and the checks' column."""

from __future__ import annotations

import json
import os
import sys
import tempfile
import unittest
from pathlib import Path

from monai.engines.utils import IterationEvents

from nlcen_monai.attacks import PGD, TargetedIFGSM, TransferAttack
from nlcen_monai.engines import AdversarialEvaluator
from nlcen_monai.handlers import RobustnessTableWriter
from nlcen_monai.robustness import GradientMaskingChecks, ResultFiles, RobustnessResult, read_per_image_csv, read_robustness_csv

sys.path.insert(0, str(Path(__file__).resolve().parent))
import handler_utils  # noqa: E402
from handler_utils import CountingThresholdNet  # noqa: E402


def loader():
    return handler_utils.loader(6, first_row=4)


def strong_evaluator(out_dir, net, extra_handlers=(), epsilons=(2, 8)):
    members = [TargetedIFGSM(), PGD(alpha=2, steps=4, seed=0)]
    checks = GradientMaskingChecks(black_box=[TransferAttack(CountingThresholdNet(), PGD(alpha=2, steps=4, seed=1), name="transfer")])
    return AdversarialEvaluator(
        "cpu", loader(), net, epsilons=epsilons, attack=members, checks=checks,
        val_handlers=[RobustnessTableWriter(out_dir), *extra_handlers],
    )


class Killed(RuntimeError):
    pass


class KillInBatch:
    """Raises inside iteration ``n``, after its attacks ran and before the table writer saved them."""

    def __init__(self, n: int) -> None:
        self.n = n

    def attach(self, engine) -> None:
        engine.add_event_handler(IterationEvents.FORWARD_COMPLETED, self)

    def __call__(self, engine) -> None:
        if engine.state.iteration == self.n:
            raise Killed(f"killed in batch {self.n}")


def report(folder):
    with open(os.path.join(folder, "robustness.json")) as f:
        return json.load(f)


class TestResumeInsideAnIntensity(unittest.TestCase):
    def test_killed_run_resumes_to_the_uninterrupted_result(self):
        with tempfile.TemporaryDirectory() as whole, tempfile.TemporaryDirectory() as resumed:
            uninterrupted = CountingThresholdNet()
            strong_evaluator(whole, uninterrupted).run()

            killed = CountingThresholdNet()
            with self.assertRaises(Killed):
                strong_evaluator(resumed, killed, [KillInBatch(3)]).run()
            # batches 1 and 2 are on disk, every intensity of them; batch 3 is lost
            partial = RobustnessResult.load(ResultFiles.in_dir(resumed))
            self.assertFalse(partial.complete)
            self.assertEqual({r["case_id"] for r in partial.per_image}, {f"rank0_iteration{i}_{j}" for i in (1, 2) for j in (0, 1)})
            self.assertEqual(partial.epsilons, [2.0, 8.0])

            net = CountingThresholdNet()
            evaluator = strong_evaluator(resumed, net)
            evaluator.run()
            self.assertEqual({r["case_id"] for r in evaluator.state.robustness_run.per_image}, {"rank0_iteration3_0", "rank0_iteration3_1"})
            self.assertLess(net.grad_images, uninterrupted.grad_images / 2)

            for name in ("robustness.csv", "robustness_per_image.csv"):
                with open(os.path.join(whole, name)) as a, open(os.path.join(resumed, name)) as b:
                    self.assertEqual(a.read(), b.read(), name)
            expected, got = report(whole), report(resumed)
            for key in ("rows", "checks", "intensities", "verdict", "settings", "attack", "complete"):
                self.assertEqual(got[key], expected[key], key)
            for counter in ("run", "saved"):  # summed over the killed and the resumed run, the lost batch not counted
                self.assertEqual(got["passes"][counter], expected["passes"][counter], counter)
            self.assertEqual(evaluator.state.metrics["dice_eps8"], RobustnessResult.load(ResultFiles.in_dir(whole)).metrics()["dice_eps8"])

    def test_journals_of_an_unfinished_run_are_merged_before_new_ones_are_written(self):
        """A multi-process run killed after two batches leaves only its journals; the next run merges them into the
        main files and removes them before its ranks write journals of the same names, and ends as the whole run."""
        with tempfile.TemporaryDirectory() as whole, tempfile.TemporaryDirectory() as resumed:
            strong_evaluator(whole, CountingThresholdNet()).run()
            with self.assertRaises(Killed):
                strong_evaluator(resumed, CountingThresholdNet(), [KillInBatch(3)]).run()
            files = ResultFiles.in_dir(resumed)
            journal = files.journal(0)
            os.replace(files.per_image, journal.per_image)  # as rank 0's journal of a torchrun evaluation
            os.replace(files.json, journal.json)
            os.remove(files.csv)
            writer = RobustnessTableWriter(resumed)
            engine = type("Engine", (), {"state": type("State", (), {})()})()
            writer.load(engine)
            self.assertEqual(files.journals(), [])
            self.assertEqual(len({r["case_id"] for r in RobustnessResult.load(files, journals=False).per_image}), 4)
            self.assertEqual(len({r["case_id"] for r in engine.state.robustness.per_image}), 4)

            strong_evaluator(resumed, CountingThresholdNet()).run()
            with open(os.path.join(whole, "robustness_per_image.csv")) as a, open(files.per_image) as b:
                self.assertEqual(a.read(), b.read())

    def test_checks_at_every_intensity_and_unchecked_cells(self):
        with tempfile.TemporaryDirectory() as d:
            strong_evaluator(d, CountingThresholdNet(), epsilons=(2, 16)).run()
            rows = {(r["attack"], r["eps"]): r for r in read_robustness_csv(os.path.join(d, "robustness.csv"))}
            for eps in (2.0, 16.0):  # checks c and d ran at every evaluated intensity
                self.assertIn(("check_more_iterations", eps), rows)
                self.assertIn(("check_black_box", eps), rows)
                self.assertEqual(rows[("worst_case", eps)]["checks"], "passed")
                self.assertEqual(rows[("pgd", eps)]["checks"], "passed")  # the intensity's status, on every attack
            self.assertEqual(rows[("worst_case", 0.0)]["checks"], "")
            self.assertEqual(rows[("check_unbounded", 255.0)]["checks"], "")
            self.assertEqual(report(d)["intensities"]["16"]["status"], "passed")

        with tempfile.TemporaryDirectory() as d:  # checks narrowed to eps 16: the eps-2 cells are unchecked
            members = [TargetedIFGSM(), PGD(alpha=2, steps=4, seed=0)]
            checks = GradientMaskingChecks(epsilons=[16], black_box=[TransferAttack(CountingThresholdNet(), PGD(alpha=2, steps=4, seed=1))])
            evaluator = AdversarialEvaluator("cpu", loader(), CountingThresholdNet(), epsilons=[2, 16], attack=members,
                                             checks=checks, val_handlers=[RobustnessTableWriter(d)])
            evaluator.run()
            rows = {(r["attack"], r["eps"]): r for r in read_robustness_csv(os.path.join(d, "robustness.csv"))}
            self.assertNotIn(("check_more_iterations", 2.0), rows)
            self.assertEqual(rows[("worst_case", 2.0)]["checks"], "unchecked:more_iterations,black_box")
            self.assertEqual(rows[("worst_case", 16.0)]["checks"], "passed")
            self.assertIn("eps 2: checks not run (more_iterations, black_box): upper bound", report(d)["verdict"])
            self.assertIn("eps 16: all four gradient-masking checks passed", evaluator.state.robustness.verdict)

    def test_a_new_check_intensity_keeps_the_recorded_figures(self):
        """Checks asked for where none ran: the main attack runs again as their start, its recorded rows stay."""
        with tempfile.TemporaryDirectory() as d:
            members = [TargetedIFGSM(), PGD(alpha=2, steps=4, seed=0)]
            narrow = GradientMaskingChecks(epsilons=[8])
            AdversarialEvaluator("cpu", loader(), CountingThresholdNet(), epsilons=[2, 8], attack=members, checks=narrow,
                                 val_handlers=[RobustnessTableWriter(d)]).run()
            before = read_per_image_csv(os.path.join(d, "robustness_per_image.csv"))
            AdversarialEvaluator("cpu", loader(), CountingThresholdNet(), epsilons=[2, 8], attack=members,
                                 checks=GradientMaskingChecks(), val_handlers=[RobustnessTableWriter(d)]).run()
            after = read_per_image_csv(os.path.join(d, "robustness_per_image.csv"))
            self.assertTrue(all(r in after for r in before))
            self.assertEqual({r["eps"] for r in after if r["attack"] == "check_more_iterations"}, {2.0, 8.0})
            self.assertEqual(len(after) - len(before), 6)  # only the new check rows

    def test_no_resume_replaces_and_counts_this_run_only(self):
        with tempfile.TemporaryDirectory() as d:
            strong_evaluator(d, CountingThresholdNet()).run()
            first = report(d)
            net = CountingThresholdNet()
            AdversarialEvaluator("cpu", loader(), net, epsilons=[2], attack="ifgsm",
                                 val_handlers=[RobustnessTableWriter(d, resume=False)]).run()
            self.assertGreater(net.grad_images, 0)
            second = report(d)
            attacks = {r["attack"] for r in second["rows"]}
            self.assertTrue({"worst_case", "ifgsm"} <= attacks)  # the earlier rows are kept beside the new ones
            self.assertLess(second["passes"]["run"], first["passes"]["run"])
            self.assertIsNotNone(first["checks"])
            self.assertIsNone(second["checks"])  # this run's checks (none), not the earlier run's


if __name__ == "__main__":
    unittest.main()
