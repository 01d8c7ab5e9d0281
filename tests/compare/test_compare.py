"""End-to-end tests of the comparison runner on tiny synthetic data, and of its small parts."""

from __future__ import annotations

import csv
import json
import os
import tempfile
import unittest
from pathlib import Path

import torch
from parameterized import parameterized

from nlcen_monai.compare import (
    COMPARISON_COLUMNS,
    ComparisonRunner,
    RunSpec,
    check_unique,
    comparison_rows,
    describe_network,
    parse_assignments,
    parse_spec,
)
from nlcen_monai.compare.__main__ import build_parser, main
from nlcen_monai.robustness import ResultFiles

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = str(ROOT / "bundles" / "nlcen_jsrt")
PNG = b"\x89PNG\r\n\x1a\n"
EPSILONS = ["1", "2"]
_THREADS = torch.get_num_threads()


def setUpModule():
    # one intra-op thread: the tiny networks gain nothing from more, and a busy machine makes them far slower
    torch.set_num_threads(1)


def tearDownModule():
    torch.set_num_threads(_THREADS)


def write_json(path: Path, content: dict) -> str:
    path.write_text(json.dumps(content))
    return str(path)


def tiny_files(d: Path) -> dict[str, str]:
    """A tiny dataset override (32 px, 1 epoch) and tiny-width overrides for UNet and NLCEN."""
    return {
        "data": write_json(
            d / "tiny.json",
            {
                "dataset_dir": str(d / "data"),
                "image_size": 32,
                "epochs": 1,
                "batch_size": 4,
                "num_workers": 0,
                "val_fraction": 0.25,
                "panel_eps": 2,
                "+imports": ["$import nlcen_monai.prep"],
                "initialize": [
                    "$monai.utils.set_determinism(seed=@seed)",
                    "$nlcen_monai.prep.make_synthetic_dataset(@dataset_dir, num_train=8, num_test=3, size=@image_size, seed=@seed)",
                ],
            },
        ),
        "unet": write_json(d / "unet_tiny.json", {"network_def#network#features": [4, 8, 16, 32, 64, 4]}),
        "nlcen": write_json(
            d / "nlcen_tiny.json",
            {"width": 0.125, "network_def#network#fpn_channels": 8, "network_def#network#num_codes": 4},
        ),
    }


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def params_of(path: Path) -> dict[str, torch.Tensor]:
    """The learned parameters in a model.pt (BatchNorm running statistics left out: they move in training mode)."""
    state = torch.load(path, weights_only=True)
    return {k: v for k, v in state.items() if "running_" not in k and "num_batches_tracked" not in k}


class TestCompareEndToEnd(unittest.TestCase):
    def test_two_configs(self):
        with tempfile.TemporaryDirectory() as tmp:
            d = Path(tmp)
            tiny, out = tiny_files(d), d / "out"
            configs = [f"configs/networks/unet.json+{tiny['unet']}", f"configs/networks/nlcen.json+{tiny['nlcen']}"]
            argv = ["--bundle", BUNDLE, "--out", str(out), "--configs", *configs, "--extra-override", tiny["data"]]
            result = main([*argv, "--epsilons", *EPSILONS])
            for name in ("unet", "nlcen"):
                self.assertTrue((out / name / "models" / "model.pt").is_file())
                self.assertTrue((out / name / "eval" / "robustness" / "robustness.csv").is_file())
            rows = read_csv(out / "comparison.csv")
            self.assertEqual(tuple(rows[0]), COMPARISON_COLUMNS)
            self.assertEqual(
                sorted((r["config"], r["network"], r["nlce"], r["attack"], float(r["eps"]), r["n_images"]) for r in rows),
                sorted((c, c, str(c == "nlcen"), "targeted_ifgsm", e, "3") for c in ("unet", "nlcen") for e in (0.0, 1.0, 2.0)),
            )
            for r in rows:
                self.assertTrue(0.0 <= float(r["jaccard"]) <= float(r["dice"]) <= 1.0, r)
            figures = result["figures"]["targeted_ifgsm"]
            self.assertEqual(set(figures), {"comparison", "ablation", "nlce_pairs"})
            for path in figures.values():
                self.assertEqual(Path(path).read_bytes()[:8], PNG)
            self.assertTrue((out / "figures" / "targeted_ifgsm" / "nlce_pairs" / "unet.png").is_file())

            # the table is redrawn from the runs on disk; without models there is nothing to skip to
            before = (out / "comparison.csv").read_text()
            (out / "comparison.csv").unlink()
            main([*argv, "--skip-train", "--skip-eval"])
            self.assertEqual((out / "comparison.csv").read_text(), before)
            with self.assertRaisesRegex(FileNotFoundError, "no trained model"):
                main(["--bundle", BUNDLE, "--out", str(d / "empty"), "--configs", configs[0], "--skip-train"])

    def test_ablation_protocol(self):
        with tempfile.TemporaryDirectory() as tmp:
            d = Path(tmp)
            tiny, out = tiny_files(d), d / "out"
            argv = ["--bundle", BUNDLE, "--out", str(out), "--protocol", "ablation", "--extra-override", tiny["data"], tiny["nlcen"]]
            result = main([*argv, "--epsilons", "1"])
            names = ["wo_nlce", "wo_nl", "wo_ce", "nlcen_frozen", "nlcen_finetuned"]
            rows = read_csv(out / "comparison.csv")
            self.assertEqual(sorted({r["config"] for r in rows}), sorted(names))
            flags = {r["config"]: (r["nlce"], r["use_nonlocal"], r["use_context"]) for r in rows}
            self.assertEqual(flags["wo_nl"], ("True", "False", "True"))
            self.assertEqual(flags["wo_ce"], ("True", "True", "False"))
            self.assertEqual(flags["wo_nlce"][0], "False")
            self.assertEqual(set(result["figures"]["targeted_ifgsm"]), {"comparison", "ablation"})  # no baseline: no Figure 8

            # frozen fine-tuning kept every w/o-NLCE parameter; the unfrozen one changed them
            base = params_of(out / "wo_nlce" / "models" / "model.pt")
            for name in ("wo_nl", "wo_ce", "nlcen_frozen"):
                tuned = params_of(out / name / "models" / "model.pt")
                self.assertEqual(set(base), {k for k in tuned if not k.startswith("network.nlce.")}, name)
                for k, v in base.items():
                    self.assertTrue(torch.equal(tuned[k], v), f"{name}: {k} changed although frozen")
                self.assertTrue(any(k.startswith("network.nlce.") for k in tuned))
            frozen, finetuned = (params_of(out / n / "models" / "model.pt") for n in ("nlcen_frozen", "nlcen_finetuned"))
            self.assertTrue(any(not torch.equal(finetuned[k], frozen[k]) for k in base))


class TestResumeTrain(unittest.TestCase):
    def test_stopped_training_continues_and_finished_is_kept(self):
        with tempfile.TemporaryDirectory() as tmp:
            d = Path(tmp)
            tiny, out = tiny_files(d), d / "out"
            spec = parse_spec(f"configs/networks/unet.json+{tiny['unet']}")
            models = out / "unet" / "models"

            def runner(epochs: int, resume: bool) -> ComparisonRunner:
                return ComparisonRunner(BUNDLE, out, [tiny["data"]], overrides={"epochs": epochs}, resume_train=resume)

            def checkpoints() -> list[str]:
                return sorted(p.name for p in models.glob("checkpoint*.pt"))

            runner(1, resume=False).train(spec)
            record = json.loads((models / "training.json").read_text())
            self.assertEqual((record["finished"], record["from_epoch"]), (True, 0))
            # as if a 2-epoch training had been stopped after its first epoch
            record["settings"]["overrides"]["epochs"] = 2
            (models / "training.json").write_text(json.dumps(dict(record, finished=False)))

            runner(2, resume=True).train(spec)
            record = json.loads((models / "training.json").read_text())
            self.assertEqual((record["finished"], record["from_epoch"]), (True, 1))
            self.assertEqual([(r["from_epoch"], r["to_epoch"]) for r in record["runs"]], [(0, 1), (1, 2)])
            self.assertEqual(record["seconds"], round(sum(r["seconds"] for r in record["runs"]), 1))
            self.assertEqual(checkpoints(), ["checkpoint_epoch=2.pt"])
            trainer = torch.load(models / "checkpoint_epoch=2.pt", weights_only=True)["trainer"]
            self.assertEqual(trainer["iteration"], 2 * trainer["epoch_length"])  # epoch 1 restored, not rerun

            model = (models / "model.pt").read_bytes()
            runner(2, resume=True).train(spec)  # finished with these settings: kept
            self.assertEqual((models / "model.pt").read_bytes(), model)
            self.assertEqual(json.loads((models / "training.json").read_text()), record)

            # evaluation-only overrides reach the evaluation and leave the finished training alone
            first = "$nlcen_monai.data.load_datalist(@dataset_dir, 'test')[:1]"
            ComparisonRunner(
                BUNDLE, out, [tiny["data"]], overrides={"epochs": 2}, eval_overrides={"test_list": first},
                epsilons=[1.0], resume_train=True,
            ).run_one(spec)
            self.assertEqual((models / "model.pt").read_bytes(), model)
            self.assertEqual(json.loads((models / "training.json").read_text()), record)
            rows = read_csv(out / "unet" / "eval" / "robustness" / "robustness.csv")
            self.assertEqual({(float(r["eps"]), r["n_images"]) for r in rows}, {(0.0, "1"), (1.0, "1")})

            with self.assertLogs("nlcen_monai.compare.runner", "WARNING") as logs:
                runner(1, resume=True).train(spec)  # other settings: from scratch, the old checkpoints dropped
            self.assertIn("override epochs: 2 -> 1", "\n".join(logs.output))
            self.assertEqual(checkpoints(), ["checkpoint_epoch=1.pt"])
            self.assertEqual(json.loads((models / "training.json").read_text())["settings"]["overrides"]["epochs"], 1)


@unittest.skipIf(os.environ.get("NLCEN_SKIP_TORCHRUN") == "1", "torchrun test disabled")
class TestDistributedEvaluation(unittest.TestCase):
    def test_two_processes_give_the_rows_of_one(self):
        with tempfile.TemporaryDirectory() as tmp:
            d = Path(tmp)
            tiny, out = tiny_files(d), d / "out"
            spec = parse_spec(f"configs/networks/unet.json+{tiny['unet']}")
            ComparisonRunner(BUNDLE, out, [tiny["data"]], epsilons=[1.0, 2.0]).run_one(spec)  # in this process
            store = ResultFiles.of_table(out / "unet" / "eval" / "robustness" / "robustness.csv")
            one = read_csv(store.per_image)
            store.remove()
            with self.assertLogs("nlcen_monai.compare.runner", "INFO") as logs:
                ComparisonRunner(
                    BUNDLE, out, [tiny["data"]], epsilons=[1.0, 2.0], skip_train=True, eval_procs=2
                ).run_one(spec)
            self.assertIn("evaluated by 2 processes", "\n".join(logs.output))
            two = read_csv(store.per_image)

            def key(row: dict) -> tuple:
                return row["case_id"], row["attack"], float(row["eps"])

            self.assertEqual(sorted(map(key, two)), sorted(map(key, one)))
            self.assertEqual(len({r["case_id"] for r in two}), 3)  # the 3 test cases, split over the ranks
            dice = {key(r): float(r["dice"]) for r in one}
            for r in two:
                self.assertAlmostEqual(float(r["dice"]), dice[key(r)], places=5)
            self.assertEqual([float(r["eps"]) for r in read_csv(store.csv)], [0.0, 1.0, 2.0])
            self.assertFalse(list(store.csv.parent.glob("*.rank*")))  # the journals were gathered and removed
            args = json.loads((out / "unet" / "eval" / "torchrun_args.json").read_text())
            self.assertEqual(args["config_file"][-1], str(Path(BUNDLE) / "configs" / "multi_gpu_adversarial.json"))
            self.assertEqual(args["epsilons"], [1.0, 2.0])

    def test_the_bundle_must_have_the_distributed_config(self):
        with tempfile.TemporaryDirectory() as tmp:
            bundle = Path(tmp) / "bundle"
            (bundle / "configs").mkdir(parents=True)
            for name in ("train.json", "adversarial.json"):
                (bundle / "configs" / name).write_text("{}")
            ComparisonRunner(bundle, Path(tmp) / "out")
            with self.assertRaisesRegex(FileNotFoundError, "multi_gpu_adversarial.json"):
                ComparisonRunner(bundle, Path(tmp) / "out", eval_procs=2)
            with self.assertRaisesRegex(ValueError, "at least 1"):
                ComparisonRunner(bundle, Path(tmp) / "out", eval_procs=0)


class TestParts(unittest.TestCase):
    def test_parse_spec(self):
        unet, tiny = "configs/networks/unet.json", "configs/demo.json"
        spec = parse_spec(f"{ROOT / unet}+{ROOT / tiny}")
        self.assertEqual((spec.name, spec.files), ("unet", [str(ROOT / unet), str(ROOT / tiny)]))
        self.assertEqual(parse_spec(f"small={ROOT / unet}").name, "small")
        with self.assertRaises(FileNotFoundError):
            parse_spec("configs/networks/no_such_net.json")
        with self.assertRaises(ValueError):
            parse_spec(f"a/b={ROOT / unet}")
        with self.assertRaisesRegex(ValueError, "two configurations"):
            check_unique([RunSpec("unet", [str(ROOT / unet)]), RunSpec("unet", [str(ROOT / tiny)])])

    @parameterized.expand(
        [
            (["epochs=2"], {"epochs": 2}),
            (["network_def#network#features=[4, 8]", "name=unet"], {"network_def#network#features": [4, 8], "name": "unet"}),
            (["init_checkpoint=null", "amp=false"], {"init_checkpoint": None, "amp": False}),
        ]
    )
    def test_parse_assignments(self, items, expected):
        self.assertEqual(parse_assignments(items), expected)

    def test_skip_and_resume_train_exclude_each_other(self):
        with self.assertRaises(SystemExit):
            build_parser().parse_args(["--bundle", BUNDLE, "--out", "o", "--skip-train", "--resume-train"])
        self.assertTrue(build_parser().parse_args(["--bundle", BUNDLE, "--out", "o", "--resume-train"]).resume_train)

    def test_parse_assignments_error(self):
        with self.assertRaises(ValueError):
            parse_assignments(["epochs"])

    def test_describe_needs_a_network_target(self):
        with tempfile.TemporaryDirectory() as tmp:
            override = write_json(Path(tmp) / "expr.json", {"network_def#network": "$torch.nn.Identity()"})
            with self.assertRaisesRegex(ValueError, "network_def#network"):
                describe_network([ROOT / "bundles" / "nlcen_jsrt" / "configs" / "train.json", override])

    def test_comparison_rows_need_a_table(self):
        with tempfile.TemporaryDirectory() as tmp:
            with self.assertRaisesRegex(FileNotFoundError, "no robustness rows"):
                comparison_rows("unet", {"network": "unet", "nlce": False}, os.path.join(tmp, "robustness.csv"))


if __name__ == "__main__":
    unittest.main()
