"""configs/attacks/strong.json builds the worst case and the gradient-masking checks it is judged by."""

from __future__ import annotations

import json
import unittest
from pathlib import Path

from monai.bundle import ConfigParser

from nlcen_monai.attacks import APGD, TargetedIFGSM, WorstCaseAttack
from nlcen_monai.robustness import GradientMaskingChecks

ROOT = Path(__file__).resolve().parents[2]
FILES = ["bundles/nlcen_jsrt/configs/train.json", "bundles/nlcen_jsrt/configs/adversarial.json", "configs/attacks/strong.json"]


class TestStrongAttacksConfig(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        parser = ConfigParser()
        parser.read_config([str(ROOT / f) for f in FILES])
        cls.attack = parser.get_parsed_content("attack")
        cls.checks = parser.get_parsed_content("checks")

    def test_the_worst_case_is_the_papers_attack_and_two_red_eps_apgd_losses(self):
        self.assertIsInstance(self.attack, WorstCaseAttack)
        self.assertIsInstance(self.attack.attacks[0], TargetedIFGSM)
        gradient = self.attack.attacks[1:]
        self.assertEqual([a.name for a in gradient], ["apgd_balanced_masked_ce_red", "apgd_js_red"])
        self.assertTrue(all(a.iterations == 300 for a in gradient))

    def test_attack_patience_reaches_the_worst_case_members_only(self):
        """``attack_patience`` (default None: every image runs every iteration) sets the members' adaptive budget;
        the checks' attacks run their full budget."""
        self.assertTrue(all(a.patience is None for a in self.attack.attacks if isinstance(a, APGD)))
        parser = ConfigParser()
        parser.read_config([str(ROOT / f) for f in FILES])
        parser["attack_patience"], parser["attack_min_improvement"] = 2, 0.001
        attack, checks = parser.get_parsed_content("attack"), parser.get_parsed_content("checks")
        self.assertEqual([(a.patience, a.min_improvement) for a in attack.attacks if isinstance(a, APGD)], [(2, 0.001)] * 2)
        self.assertTrue(all(a.patience is None for a in checks.unbounded_attacks))

    def test_the_jsrt_budget_keeps_the_papers_attack_and_apgd_js(self):
        """configs/attacks/budget_js300.json, stacked after strong.json: two members, APGD-JS at 300 iterations, the
        checks unchanged."""
        parser = ConfigParser()
        parser.read_config([str(ROOT / f) for f in FILES + ["configs/attacks/budget_js300.json"]])
        attack, checks = parser.get_parsed_content("attack"), parser.get_parsed_content("checks")
        self.assertEqual([a.name for a in attack.attacks], ["targeted_ifgsm", "apgd_js_red"])
        self.assertEqual((attack.attacks[1].iterations, attack.attacks[1].patience), (300, None))
        self.assertEqual([a.loss for a in checks.unbounded_attacks], [a.loss for a in self.checks.unbounded_attacks])

    def test_a_budget_per_intensity_reaches_every_apgd(self):
        """``attack_iterations`` may map intensities to iterations (``--attack_iterations "{'8': 100, '32': 450}"``):
        the members run that many at each intensity, check c twice that from two restarts (four times the passes),
        and check b (eps 255) the largest."""
        parser = ConfigParser()
        parser.read_config([str(ROOT / f) for f in FILES + ["configs/attacks/budget_js300.json"]])
        parser["attack_iterations"] = {"8": 100, "32": 450}
        attack, checks = parser.get_parsed_content("attack"), parser.get_parsed_content("checks")
        self.assertEqual([attack.attacks[1].iterations_at(e) for e in (8.0, 32.0)], [100, 450])
        self.assertEqual([attack.attacks[1].cost(e) for e in (8.0, 32.0)], [103.0, 453.0])
        stronger = attack.strengthened(checks.factor).attacks[1]
        self.assertEqual([stronger.iterations_at(e) for e in (8.0, 32.0)] + [stronger.restarts], [200, 900, 2])
        self.assertEqual([a.iterations_at(checks.unbounded_eps) for a in checks.unbounded_attacks], [450, 450])

    def test_the_per_intensity_budget_file_is_the_studys_attack(self):
        """configs/attacks/budget_js_eps100_450.json builds exactly the worst case and checks of the selection study
        it names (their descriptions in its committed record): the record and the file cannot drift apart."""
        parser = ConfigParser()
        parser.read_config([str(ROOT / f) for f in FILES + ["configs/attacks/budget_js_eps100_450.json"]])
        attack, checks = parser.get_parsed_content("attack"), parser.get_parsed_content("checks")
        record = json.loads((ROOT / "results/nlcen_jsrt/0.5.1/selection_budget/js_eps100_450/robustness.json").read_text())
        self.assertEqual(attack.describe(), record["settings"]["attack"])
        described = json.loads(json.dumps(checks.describe()))
        self.assertEqual(described["unbounded_attacks"], record["settings"]["checks"]["unbounded_attacks"])
        self.assertEqual(attack.attacks[1].cost(16.0), 453.0)  # an intensity not listed: the next larger one's count

    def test_the_unbounded_check_uses_the_worst_cases_untargeted_losses(self):
        """Check b attacks with the losses that win the worst case, untargeted: a targeted CE at eps 255 left a
        defended real-JSRT model at Dice 0.082 where these left 0.035 / 0.040 (a check failed by a weak loss)."""
        self.assertIsInstance(self.checks, GradientMaskingChecks)
        attacks = self.checks.unbounded_attacks
        self.assertTrue(attacks and all(isinstance(a, APGD) and not a.targeted for a in attacks))
        members = {a.loss for a in self.attack.attacks if isinstance(a, APGD)}
        self.assertEqual({a.loss for a in attacks}, members)
        self.assertEqual(self.checks.unbounded_eps, 255.0)

    def test_checks_c_and_d_run_at_every_evaluated_intensity(self):
        self.assertEqual(self.checks.check_epsilons([0, 2, 4, 8, 16, 32]), [2.0, 4.0, 8.0, 16.0, 32.0])
        self.assertEqual([a.name for a in self.checks.black_box], ["square"])  # no surrogate given: Square only


if __name__ == "__main__":
    unittest.main()
