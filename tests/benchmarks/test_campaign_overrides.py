# Copyright (c) nlcen-monai contributors
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#     http://www.apache.org/licenses/LICENSE-2.0
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.
"""Every run of benchmarks/defense_campaign.sh names only keys that its configs have: its training's overrides on
the training configs, and what benchmarks/evaluation_overrides.sh keeps of them on the evaluations' configs (the
clean DIC of evaluate.json and the worst-case screen), as ``monai.bundle run`` applies them. A run whose override
reaches into a key that a config lacks (``--train#trainer#attack#steps 2`` on ``evaluate.json``) stops there."""

from __future__ import annotations

import subprocess
import unittest

from monai.bundle import ConfigParser

from tests.benchmarks.test_reproduce_baselines import REPO

B = "bundles/nlcen_jsrt/configs"
TRAINING = [f"{B}/train.json"]
DEFENSE = "configs/defense/adversarial_training.json"
EVALUATIONS = {
    "clean DIC": [f"{B}/train.json", f"{B}/evaluate.json"],
    "screen": [f"{B}/train.json", f"{B}/adversarial.json", "configs/attacks/strong.json", "configs/attacks/budget_js300.json"],
}


def campaign_runs() -> dict[str, tuple[list[str], list[str]]]:
    """name -> (overrides, config files stacked for the training), from ``defense_campaign.sh --list``."""
    listing = subprocess.run(["bash", "benchmarks/defense_campaign.sh", "--list"], cwd=REPO, capture_output=True,
                             text=True, check=True).stdout
    runs = {}
    for line in listing.splitlines():
        name, _, rest = line.partition(" ")
        overrides, _, files = rest.strip().partition(" + ")
        runs[name] = ([] if overrides == "(undefended)" else overrides.split(), files.split())
    return runs


def evaluation_overrides(overrides: list[str]) -> list[str]:
    script = 'source benchmarks/evaluation_overrides.sh; evaluation_overrides "$@"; printf "%s\\n" "${EVALUATION_OVERRIDES[@]}"'
    out = subprocess.run(["bash", "-c", script, "_", *overrides], cwd=REPO, capture_output=True, text=True, check=True)
    return out.stdout.split()


def apply(configs: list[str], overrides: list[str]) -> None:
    """Set each ``--key value`` pair as ``monai.bundle run`` does (``ConfigParser.update``)."""
    parser = ConfigParser()
    parser.read_config([str(REPO / c) for c in configs])
    pairs = dict(zip(overrides[0::2], overrides[1::2]))
    assert all(k.startswith("--") for k in pairs), overrides
    parser.update({k[2:]: v for k, v in pairs.items()})


class TestCampaignOverrides(unittest.TestCase):
    def test_the_helper_drops_the_trainers_pairs_only(self):
        self.assertEqual(
            evaluation_overrides(["--train#trainer#eps", "32", "--width", "1.0", "--train#trainer#attack#steps", "2",
                                  "--epochs", "15"]),
            ["--width", "1.0", "--epochs", "15"])
        self.assertEqual(evaluation_overrides([]), [])

    def test_every_run_names_keys_its_configs_have(self):
        runs = campaign_runs()
        self.assertIn("at32_mix_rand_pgd2", runs)
        for name, (overrides, files) in runs.items():
            training = TRAINING + ([] if name == "clean" else [DEFENSE]) + files
            with self.subTest(run=name, stage="training"):
                apply(training, overrides)
            kept = evaluation_overrides(overrides)
            for stage, configs in EVALUATIONS.items():
                with self.subTest(run=name, stage=stage):
                    apply(configs, kept)


if __name__ == "__main__":
    unittest.main()
