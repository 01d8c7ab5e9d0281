"""configs/defense/adversarial_training.json stacked on each bundle's train.json: it trains every network
adversarially with the attack object of ``train#trainer#attack``, resumes with --resume true, lists the FGSM
guard among the trainer's handlers (it checks the single-step attacks, FGSM-RS and N-FGSM, only), and runs
under torchrun.

Tiny runs: 32 x 32 synthetic data (4 training, 2 validation images), one or two epochs, one PGD step.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import unittest
from pathlib import Path

import torch
from monai.bundle import ConfigParser
from parameterized import parameterized

from nlcen_monai.attacks import FGSMRS, NFGSM, PGD
from nlcen_monai.prep import make_synthetic_dataset
from nlcen_monai.defense import CatastrophicOverfittingGuard
from nlcen_monai.engines import AdversarialSupervisedTrainer

ROOT = Path(__file__).resolve().parents[2]
from tests.bundles.bundle_utils import copy_bundle, run_workflow

OVERRIDE = ROOT / "configs" / "defense" / "adversarial_training.json"
ATTACK, GUARD_IMAGES = "train#trainer#attack", "overfit_guard#num_images"
FGSM_RS = {"_target_": "nlcen_monai.attacks.FGSMRS"}
TINY_UNET = {
    "_target_": "nlcen_monai.networks.nets.PixelNormalizedNet",
    "network": {
        "_target_": "monai.networks.nets.UNet",
        "spatial_dims": 2,
        "in_channels": "@in_channels",
        "out_channels": "@num_classes",
        "channels": [4, 8],
        "strides": [2],
        "num_res_units": 0,
        "norm": "batch",
    },
    "mean": 127.5,
    "std": 64.0,
}
# NLCEN (five deep-supervision outputs in training mode) at an eighth of its width
SMALL_NLCEN = {
    "_target_": "nlcen_monai.networks.nets.PixelNormalizedNet",
    "network": {"_target_": "nlcen_monai.networks.nets.NLCEN", "spatial_dims": 2, "in_channels": "@in_channels",
                "out_channels": "@num_classes", "backbone": "resnet18", "widen_factor": 0.125, "fpn_channels": 16},
}
# the bundle settings of every run here: tiny data, no progress bar, one PGD step
FAST = {"image_size": 32, "batch_size": 2, "val_fraction": 0.34, "num_workers": 0, "cache_rate": 0.0,
        "train#trainer#attack#steps": 1, "train#trainer#eps_ramp_epochs": 2, "validate#evaluator#attack#steps": 1}
# (bundle, network override or None, synthetic kind, extra settings)
NETWORK_CASES = [
    ("nlcen_jsrt", None, "chest", {"network_def": SMALL_NLCEN, "loss": {"_target_": "nlcen_monai.losses.NLCENLoss"},
                                   ATTACK: FGSM_RS, GUARD_IMAGES: 2}),
    ("nlcen_jsrt", "configs/networks/nwcn.json", "chest", {"train#trainer#objective": "trades"}),
    ("nlcen_isbi2016", "configs/networks/slsdeep_nlce.json", "lesion", {"train#trainer#clean_weight": 0.5}),
]


def dataset(root: Path, kind: str) -> str:
    return os.path.dirname(make_synthetic_dataset(root / f"data_{kind}", num_train=6, num_test=2, size=32, seed=0, kind=kind))


class TestOverrideParses(unittest.TestCase):
    def parser(self, **override) -> ConfigParser:
        parser = ConfigParser()
        parser.read_config([str(ROOT / "bundles" / "nlcen_jsrt" / "configs" / "train.json"), str(OVERRIDE)])
        for key, value in override.items():
            parser[key] = value
        return parser

    def test_validation_key_metric_is_a_metric_key(self):
        key = self.parser(**{"train#trainer#eps": 4.0}).get_parsed_content("adv_val_key_metric")
        self.assertEqual(key.to_name(), "dice_eps4")

    def test_trainer_arguments_are_set_directly(self):
        """Each setting is said once, as the trainer's own argument (no ``adv_*`` key to forward)."""
        trainer = self.parser().get("train#trainer")
        self.assertEqual(trainer["_target_"], "nlcen_monai.engines.AdversarialSupervisedTrainer")
        expected = {"eps": 8.0, "eps_ramp_epochs": 5, "eps_sampling": "fixed", "objective": "mix", "clean_weight": 0.0,
                    "trades_beta": 6.0, "seed": "@seed", "craft_amp": False}
        self.assertEqual({k: trainer[k] for k in expected}, expected)
        self.assertEqual(trainer["attack"]["_target_"], "nlcen_monai.attacks.PGD")
        self.assertEqual(trainer["network"], "@network")  # the bundle's own arguments stay
        keys = json.loads(OVERRIDE.read_text())
        self.assertEqual([k for k in keys if k.startswith("adv_")], ["adv_val_key_metric"])
        self.assertEqual(self.parser().get_parsed_content("validate#evaluator#epsilons"), [8.0])

    def test_training_attack_is_madry_pgd5(self):
        """PGD-5 with step 2.5 eps / 5; changing its steps changes its step (``--train#trainer#attack#steps 2``)."""
        attack = self.parser().get_parsed_content(ATTACK)
        self.assertIsInstance(attack, PGD)
        self.assertEqual((attack.steps, attack.step_ratio, attack.restarts, attack.random_start), (5, 0.5, 1, True))
        attack = self.parser(**{f"{ATTACK}#steps": 2}).get_parsed_content(ATTACK)
        self.assertEqual((attack.steps, attack.step_ratio), (2, 1.25))
        single = self.parser(**{ATTACK: {"_target_": "nlcen_monai.attacks.NFGSM", "noise_ratio": 1.5}}).get_parsed_content(ATTACK)
        self.assertIsInstance(single, NFGSM)
        self.assertEqual(single.noise_ratio, 1.5)

    def test_guard_is_a_trainer_handler(self):
        parser = self.parser(**{"overfit_guard#data": []})
        guard = parser.get_parsed_content("overfit_guard")
        self.assertIsInstance(guard, CatastrophicOverfittingGuard)
        self.assertEqual(parser["train#handlers"][-1], "@overfit_guard")  # appended to the bundle's handlers
        self.assertEqual((guard.pgd_steps, guard.max_gap, guard.max_drop, guard.action), (10, 0.3, 0.2, "fallback"))
        self.assertIsInstance(guard.fallback, PGD)
        self.assertEqual((guard.fallback.steps, guard.fallback.step_ratio), (5, 0.5))
        # it checks the single-step attacks only
        self.assertFalse(guard.watches(parser.get_parsed_content(ATTACK)))
        self.assertTrue(guard.watches(self.parser(**{ATTACK: FGSM_RS}).get_parsed_content(ATTACK)))


class TestOverrideRuns(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        import tempfile

        cls._tmp = tempfile.TemporaryDirectory()
        cls.work = Path(cls._tmp.name)

    @classmethod
    def tearDownClass(cls):
        cls._tmp.cleanup()

    def run_bundle(self, name: str, work: Path, configs: list[str], **override):
        bundle = work / name if (work / name).is_dir() else copy_bundle(name, work)
        settings = {"ckpt_dir": str(work / "models"), "output_dir": str(work / "eval"), **FAST, **override}
        return run_workflow(bundle, ["train.json", *configs], work, demo=False, **settings)

    @parameterized.expand(NETWORK_CASES)
    def test_trains_each_network(self, name, network, kind, extra):
        work = self.work / f"{name}_{Path(network or 'default').stem}"
        work.mkdir()
        configs = ([str(ROOT / network)] if network else []) + [str(OVERRIDE)]
        workflow = self.run_bundle(name, work, configs, dataset_dir=dataset(self.work, kind), epochs=1, **extra)
        trainer = workflow.parser.get_parsed_content("train#trainer")
        self.assertIsInstance(trainer, AdversarialSupervisedTrainer)
        self.assertEqual(trainer.state.epoch, 1)
        self.assertEqual(trainer.state.output[0]["adv_eps"], 4.0)  # epoch 1 of a 2-epoch ramp to 8
        self.assertTrue(torch.isfinite(torch.as_tensor(trainer.state.output[0]["loss"])))
        self.assertIsInstance(trainer.attack, FGSMRS if ATTACK in extra else PGD)
        self.assertEqual(trainer.adversarial_objective.objective, extra.get("train#trainer#objective", "mix"))
        self.assertEqual(len(trainer.state.adv_guard["history"]), 1 if ATTACK in extra else 0)  # FGSM-RS checked
        self.assertTrue((work / "models" / "checkpoint_epoch=1.pt").is_file())

    def test_n_fgsm_with_uniform_eps(self):
        work = self.work / "n_fgsm"
        work.mkdir()
        workflow = self.run_bundle("nlcen_jsrt", work, [str(OVERRIDE)], epochs=1, dataset_dir=dataset(self.work, "chest"),
                                   network_def=TINY_UNET, loss="$nlcen_monai.losses.LabelCrossEntropyLoss()",
                                   **{ATTACK: {"_target_": "nlcen_monai.attacks.NFGSM", "noise_ratio": 1.5},
                                      "train#trainer#eps_sampling": "uniform", GUARD_IMAGES: 2})
        trainer = workflow.parser.get_parsed_content("train#trainer")
        self.assertIsInstance(trainer.attack, NFGSM)
        self.assertEqual((trainer.attack.noise_ratio, trainer.eps_sampling), (1.5, "uniform"))
        self.assertTrue(0.0 <= trainer.state.output[0]["adv_eps"] < 4.0)  # a draw below epoch 1's ramped 4
        self.assertEqual(len(trainer.state.adv_guard["history"]), 1)  # the guard watches N-FGSM too

    def test_resume_continues_the_ramp(self):
        work = self.work / "resume"
        work.mkdir()
        common = {"dataset_dir": dataset(self.work, "chest"), "network_def": TINY_UNET,
                  "loss": "$nlcen_monai.losses.LabelCrossEntropyLoss()"}
        self.run_bundle("nlcen_jsrt", work, [str(OVERRIDE)], epochs=1, **common)
        ckpt = torch.load(work / "models" / "checkpoint_epoch=1.pt", weights_only=True)
        self.assertEqual(ckpt["trainer"]["adv_guard"], {"best_pgd_dice": None, "triggered_epoch": None, "history": []})
        workflow = self.run_bundle("nlcen_jsrt", work, [str(OVERRIDE)], epochs=2, resume=True, **common)
        state = workflow.parser.get_parsed_content("train#trainer").state
        self.assertEqual(state.epoch, 2)
        self.assertEqual(state.iteration, 2 * state.epoch_length)  # epoch 1 was restored, not run again
        self.assertEqual(state.output[0]["adv_eps"], 8.0)  # the ramp's epoch 2, not its epoch 1
        self.assertTrue((work / "models" / "checkpoint_epoch=2.pt").is_file())

    @unittest.skipIf(os.environ.get("NLCEN_SKIP_TORCHRUN") == "1", "torchrun test disabled")
    def test_torchrun_two_processes_agree(self):
        """FGSM-RS training with its guard on two gloo processes: the ranks end with the same weights and verdicts."""
        work = self.work / "torchrun"
        work.mkdir()
        bundle = copy_bundle("nlcen_jsrt", work)
        report = work / "rank{}.txt"
        finalize = [  # (no "import" in an expression: MONAI would parse it as an import statement)
            f"$open('{report}'.format(dist.get_rank()), 'w').write(repr(("
            "float(sum(p.double().sum() for p in @network_def.parameters())), "
            "@train#trainer.attack.name, @train#trainer.state.adv_guard['history'])))",
            "$dist.is_initialized() and dist.destroy_process_group()",
        ]
        configs = [str(bundle / "configs" / c) for c in ("train.json", "multi_gpu_train.json")] + [str(OVERRIDE)]
        args = {**FAST, "dataset_dir": dataset(self.work, "chest"), "ckpt_dir": str(work / "models"),
                "output_dir": str(work / "eval"), "epochs": 1, "network_def": TINY_UNET,
                "loss": "$nlcen_monai.losses.LabelCrossEntropyLoss()", "finalize": finalize,
                ATTACK: FGSM_RS, GUARD_IMAGES: 2}
        cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "-m", "monai.bundle", "run",
               "--config_file", repr(configs)]
        for key, value in args.items():
            cmd += [f"--{key}", json.dumps(value)]
        env = dict(os.environ, OMP_NUM_THREADS="1")
        result = subprocess.run(cmd, capture_output=True, text=True, cwd=work, env=env, timeout=600)
        self.assertEqual(result.returncode, 0, result.stderr[-3000:])
        ranks = [ast.literal_eval(Path(str(report).format(r)).read_text()) for r in (0, 1)]
        self.assertEqual(ranks[0], ranks[1])  # same parameters, attack and guard verdicts on both ranks
        self.assertEqual(ranks[0][1], "fgsm_rs")
        self.assertEqual(len(ranks[0][2]), 1)  # the FGSM guard checked epoch 1, its Dice averaged over the ranks
        self.assertTrue((work / "models" / "checkpoint_epoch=1.pt").is_file())


if __name__ == "__main__":
    unittest.main()
