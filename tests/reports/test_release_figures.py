"""Tests for the release figures: made from a per-image record, written into a card, a README and metadata, checked."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import os
import tempfile
import unittest

from nlcen_monai.attacks import PGD
from nlcen_monai.engines import AdversarialEvaluator
from nlcen_monai.handlers import RobustnessTableWriter
from nlcen_monai.metrics import mean_interval
from nlcen_monai.reports.release_figures import (
    HEADLINE_BEGIN,
    HEADLINE_END,
    TABLE_BEGIN,
    TABLE_END,
    TARGETS_BEGIN,
    TARGETS_END,
    eval_metrics,
    main,
    performance_table,
    release_figures,
    target_gaps,
)
from nlcen_monai.reports.figures import Figure
from nlcen_monai.robustness import GradientMaskingChecks, ResultFiles, RobustnessResult
from tests.engines.test_adversarial_evaluator import loader, threshold_net


class TestReleaseFigures(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.record = os.path.join(cls.tmp.name, "robustness")
        checks = GradientMaskingChecks(unbounded_attacks=[PGD(steps=2, seed=0)])
        AdversarialEvaluator(
            "cpu", loader(), threshold_net(), epsilons=[8, 16], attack=[PGD(alpha=2, steps=8, seed=0)], checks=checks,
            val_handlers=[RobustnessTableWriter(cls.record)],
        ).run()

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_figures_are_the_records_means_with_intervals(self):
        figures = release_figures(self.record)
        stored = RobustnessResult.load(ResultFiles.in_dir(self.record))
        for eps, figure in figures.worst.items():
            dice = [r["dice"] for r in stored.per_image if r["attack"] == "worst_case" and r["eps"] == eps]
            self.assertEqual((figure.mean, figure.low, figure.high, figure.n), mean_interval(dice))
        self.assertEqual(sorted(figures.worst), [8.0, 16.0])
        self.assertEqual(figures.clean.n, 4)
        self.assertEqual(set(figures.drops["more_iterations"]), {8.0, 16.0})
        metrics = eval_metrics(figures)
        self.assertEqual(metrics["worst_case_dice_eps16_n"], 4)
        self.assertEqual(metrics["worst_case_dice_eps16"], round(figures.worst[16.0].mean, 4))
        self.assertIn("worst_case_dice_eps8_checks", metrics)

    def test_passes_are_the_records(self):
        """The worst case's mean passes per image per intensity, and every pass run over images x intensities."""
        figures = release_figures(self.record)
        stored = RobustnessResult.load(ResultFiles.in_dir(self.record))
        for eps in (8.0, 16.0):
            spent = [r["passes"] for r in stored.per_image if r["attack"] == "worst_case" and r["eps"] == eps]
            self.assertAlmostEqual(figures.passes[eps], sum(spent) / len(spent))
        self.assertGreater(figures.passes[16.0], 0)
        self.assertAlmostEqual(figures.passes_per_image_intensity, stored.passes["run"] / (4 * 2))
        self.assertGreater(figures.passes_per_image_intensity, figures.passes[16.0])  # the checks cost too
        table = performance_table(figures)
        self.assertIn(f"spent {figures.passes_per_image_intensity:.0f} forward(-backward) passes per image and intensity", table)
        self.assertIn(f" | {figures.passes[8.0]:.0f} | ", table)

    def test_a_counter_summed_twice_changes_no_figure(self):
        """A record merged into a copy of itself doubles its pass counter, not its rows: the figures use the rows, and
        the command says that the counter differs."""
        stored = RobustnessResult.load(ResultFiles.in_dir(self.record))
        with tempfile.TemporaryDirectory() as d:
            stored.merged(stored.copy()).save(ResultFiles.in_dir(d))
            self.assertEqual(RobustnessResult.load(ResultFiles.in_dir(d)).passes["run"], 2 * stored.passes["run"])
            with contextlib.redirect_stderr(io.StringIO()) as err:
                figures = release_figures(d)
        self.assertEqual(figures.passes_per_image_intensity, release_figures(self.record).passes_per_image_intensity)
        self.assertIn(f"counts {2 * stored.passes['run']:.0f} passes run, its rows {stored.passes['run']:.0f}", err.getvalue())

    def test_write_then_check_and_a_changed_number_fails(self):
        with tempfile.TemporaryDirectory() as d:
            card, readme, metadata = (os.path.join(d, n) for n in ("card.md", "README.md", "metadata.json"))
            with open(card, "w") as f:
                f.write(f"# card\n{TABLE_BEGIN}\nold\n{TABLE_END}\ntext\n")
            with open(readme, "w") as f:
                f.write(f"intro {HEADLINE_BEGIN}\nold\n{HEADLINE_END}\n")
            with open(metadata, "w") as f:
                json.dump({"version": "1.0", "eval_metrics": {"clean_dice": 0.5}, "name": "x"}, f)
            documents = ["--card", card, "--readme", readme, "--metadata", metadata]
            self.assertEqual(main([self.record, *documents]), 0)
            self.assertEqual(main([self.record, *documents, "--check"]), 0)
            content = json.load(open(metadata))
            self.assertEqual(list(content), ["version", "eval_metrics", "name"])  # the other keys kept, in order
            self.assertEqual(content["eval_metrics"]["clean_dice_n"], 4)
            text = open(card).read()
            self.assertIn("| 8 |", text)
            self.assertTrue(text.endswith(f"{TABLE_END}\ntext\n"))
            figure = release_figures(self.record).worst[8.0]
            with open(card, "w") as f:
                f.write(text.replace(f"{figure.mean:.3f}", f"{figure.mean + 0.01:.3f}", 1))
            with contextlib.redirect_stderr(io.StringIO()) as err:
                self.assertEqual(main([self.record, "--card", card, "--check"]), 1)
            self.assertIn("performance table differs", err.getvalue())
            content["eval_metrics"]["clean_dice"] = 0.1
            with open(metadata, "w") as f:
                f.write(json.dumps(content, indent=4) + "\n")
            with contextlib.redirect_stderr(io.StringIO()) as err:
                self.assertEqual(main([self.record, "--metadata", metadata, "--check"]), 1)
            self.assertIn("eval_metrics differ", err.getvalue())

    def test_target_gaps_say_the_distance_and_what_the_interval_and_the_checks_allow(self):
        figures = release_figures(self.record)
        figures = dataclasses.replace(
            figures,
            clean=Figure(0.92, 0.91, 0.93, 50),
            worst={8.0: Figure(0.88, 0.86, 0.905, 50), 16.0: Figure(0.70, 0.68, 0.72, 50)},
            upper_bound={8.0: False, 16.0: True},
        )
        lines = target_gaps(figures, {"0": 0.95, "8": 0.9, "16": 0.8}).splitlines()
        self.assertEqual(lines[0], "- clean DIC 0.920 [0.910, 0.930] (n 50) against 0.95: 0.030 short, the interval excludes the target.")
        self.assertEqual(lines[1], "- worst case at eps 8 0.880 [0.860, 0.905] (n 50) against 0.90: 0.020 short, the interval holds the target.")
        self.assertEqual(lines[2], "- worst case at eps 16 0.700 [0.680, 0.720] (n 50) † against 0.80: at least 0.100 short (an upper bound).")
        above = target_gaps(figures, {16: 0.6}).strip()
        self.assertTrue(above.endswith("0.100 above, but as an upper bound, which proves nothing."), above)
        with self.assertRaisesRegex(KeyError, "no figure at eps 4"):
            target_gaps(figures, {4: 0.9})

    def test_the_targets_block_is_written_and_checked(self):
        with tempfile.TemporaryDirectory() as d:
            card = os.path.join(d, "card.md")
            with open(card, "w") as f:
                f.write(f"{TABLE_BEGIN}\n{TABLE_END}\n{TARGETS_BEGIN}\nold\n{TARGETS_END}\n")
            targets = ["--targets", '{"0": 0.95, "8": 0.9}']
            with contextlib.redirect_stdout(io.StringIO()):
                self.assertEqual(main([self.record, "--card", card, *targets]), 0)
                self.assertEqual(main([self.record, "--card", card, *targets, "--check"]), 0)
                self.assertIn("worst case at eps 8", open(card).read())
                with contextlib.redirect_stderr(io.StringIO()) as err:
                    self.assertEqual(main([self.record, "--card", card, "--targets", '{"0": 0.96, "8": 0.9}', "--check"]), 1)
            self.assertIn("distance from the targets differs", err.getvalue())

    def test_a_named_block(self):
        with tempfile.TemporaryDirectory() as d:
            doc = os.path.join(d, "BENCHMARKS.md")
            with open(doc, "w") as f:
                f.write(f"{TABLE_BEGIN}\nkept\n{TABLE_END}\n<!-- study:begin -->\nold\n<!-- study:end -->\n")
            self.assertEqual(main([self.record, "--card", doc, "--block", "study"]), 0)
            text = open(doc).read()
            self.assertIn(f"{TABLE_BEGIN}\nkept\n{TABLE_END}", text)
            self.assertNotIn("old", text)
            self.assertEqual(main([self.record, "--card", doc, "--block", "study", "--check"]), 0)

    def test_the_budget_studies_quote_every_committed_selection_record(self):
        """Each budget study under results/.../selection_budget/NAME has its block selection-NAME in docs/budget-studies.md."""
        repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        studies = os.path.join(repo, "results", "nlcen_jsrt", "0.5.1", "selection_budget")
        page = os.path.join(repo, "docs", "budget-studies.md")
        names = sorted(os.listdir(studies))
        self.assertIn("apgd150", names)
        for name in names:
            with self.subTest(study=name), contextlib.redirect_stdout(io.StringIO()):
                self.assertEqual(main([os.path.join(studies, name), "--card", page, "--block", f"selection-{name}", "--check"]), 0)

    def test_a_folder_without_record_is_refused(self):
        with tempfile.TemporaryDirectory() as d:
            with self.assertRaisesRegex(ValueError, "no per-image row"):
                release_figures(d)


if __name__ == "__main__":
    unittest.main()
