"""End-to-end tests of the nlcen_jsrt bundle through monai.bundle on tiny synthetic data.

One module-scoped training run (the demo override: synthetic phantoms at 64 x 64) feeds every test:
resume, evaluation, adversarial evaluation, inference, TorchScript export and the docs' loading snippet.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from nlcen_monai.workflows import BundleSettingError
from tests.bundles.bundle_utils import REPO, copy_bundle, run_workflow

# keep the runs small: the demo data set, 1 epoch, no progress bar; the released model's width, so that
# inference.json and the docs' snippet build the network that was trained
FAST = {"epochs": 1, "num_workers": 0, "progress_bar": False, "width": 0.5}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A copy of the bundle whose models/ holds a model trained for one epoch on the demo data."""
    work = tmp_path_factory.mktemp("jsrt")
    bundle = copy_bundle("nlcen_jsrt", work)
    # checkpoints inside the bundle copy (as a user's bundle would have), data/outputs under work/
    common = {"ckpt_dir": str(bundle / "models"), "output_dir": str(work / "eval"), **FAST}
    workflow = run_workflow(bundle, ["train.json"], work, **common)
    return {"work": work, "bundle": bundle, "common": common, "workflow": workflow}


def test_train_writes_state_dict_checkpoints(trained):
    models = trained["bundle"] / "models"
    assert (models / "model.pt").is_file()
    assert (models / "checkpoint_epoch=1.pt").is_file()
    ckpt = torch.load(models / "checkpoint_epoch=1.pt", weights_only=True)  # state dicts only
    assert set(ckpt) == {"model", "optimizer", "lr_scheduler", "trainer", "validation"}
    # the validation's best-model record: model.pt holds the epoch with the best validation Dice
    [(score, _)] = ckpt["validation"]["saved"]  # (score, ignite's name for the file written as model.pt)
    assert score == ckpt["validation"]["best_metric"]
    assert ckpt["validation"]["best_metric_epoch"] == 1
    assert ckpt["trainer"]["iteration"] == ckpt["trainer"]["epoch_length"]  # one epoch done
    assert trained["workflow"].parser.get_parsed_content("train#trainer").state.epoch == 1


def test_resume_continues_from_last_checkpoint(trained):
    before = torch.load(trained["bundle"] / "models" / "checkpoint_epoch=1.pt", weights_only=True)["validation"]
    override = dict(trained["common"], epochs=2, resume=True)
    workflow = run_workflow(trained["bundle"], ["train.json"], trained["work"], **override)
    state = workflow.parser.get_parsed_content("train#trainer").state
    assert state.epoch == 2
    assert state.iteration == 2 * state.epoch_length  # epoch 1 was restored, not run again
    ckpt = torch.load(trained["bundle"] / "models" / "checkpoint_epoch=2.pt", weights_only=True)
    assert ckpt["trainer"]["iteration"] == 2 * ckpt["trainer"]["epoch_length"]
    assert ckpt["validation"]["best_metric"] >= before["best_metric"]  # epoch 1's record was carried on


def test_resume_keeps_a_better_model_saved_before_the_stop(trained, tmp_path):
    """A resumed run replaces model.pt only with a better validation score than the one saved before the stop."""
    from nlcen_monai.workflows import latest_checkpoint

    bundle = tmp_path / "nlcen_jsrt"
    shutil.copytree(trained["bundle"], bundle)
    last = Path(latest_checkpoint(bundle / "models"))
    ckpt = torch.load(last, weights_only=True)
    # a record no validation can beat (Dice <= 1): the resumed epoch must leave model.pt alone
    ckpt["validation"].update(best_metric=2.0, saved=[(2.0, ckpt["validation"]["saved"][0][1])])
    torch.save(ckpt, last)
    saved = (bundle / "models" / "model.pt").read_bytes()
    epochs = ckpt["trainer"]["iteration"] // ckpt["trainer"]["epoch_length"] + 1
    override = dict(trained["common"], ckpt_dir=str(bundle / "models"), output_dir=str(tmp_path / "eval"))
    workflow = run_workflow(bundle, ["train.json"], trained["work"], **dict(override, epochs=epochs, resume=True))
    assert workflow.parser.get_parsed_content("train#trainer").state.epoch == epochs  # one more epoch ran
    assert (bundle / "models" / "model.pt").read_bytes() == saved
    assert workflow.parser.get_parsed_content("validate#evaluator").state.best_metric == 2.0


def test_evaluate_writes_per_image_and_mean_metrics(trained):
    run_workflow(trained["bundle"], ["train.json", "evaluate.json"], trained["work"], **trained["common"])
    out = trained["work"] / "eval"
    with open(out / "val_mean_dice_raw.csv") as f:
        rows = list(csv.reader(f))
    assert rows[0][0] == "filename" and len(rows) == 1 + 8  # the 8 synthetic test images
    metrics = dict(line.split(",") for line in (out / "metrics.csv").read_text().split("\n") if line)
    assert set(metrics) == {"val_mean_dice", "val_mean_iou"}
    assert 0.0 <= float(metrics["val_mean_iou"]) <= float(metrics["val_mean_dice"]) <= 1.0


def test_evaluate_uses_the_released_model_without_ckpt_dir(trained, monkeypatch):
    """evaluate.json's ckpt_dir is null: the bundle's released model.pt, after its checksum is verified."""
    from nlcen_monai.workflows import export_release

    release = trained["work"] / "release"
    models = release / "bundles" / "nlcen_jsrt" / "models"
    export_release(trained["bundle"] / "models" / "model.pt", models)
    monkeypatch.setenv("NLCEN_BUNDLES_DIR", str(release))
    # as the model card's command: --bundle_root the bundle (which ships a model), no --output_dir (and no demo
    # override, which has its own): evaluate.json's default, eval/<bundle_name> in the working directory
    demo = {"dataset_dir": str(trained["work"] / "demo_runs" / "nlcen_jsrt" / "data"), "image_size": 64, "num_threads": 1}
    override = {k: v for k, v in trained["common"].items() if k != "output_dir"}
    override.update(demo, ckpt_dir=None, bundle_root=str(trained["bundle"]))
    run_workflow(trained["bundle"], ["train.json", "evaluate.json"], trained["work"], demo=False, **override)
    assert not (trained["bundle"] / "eval").exists()  # the bundle's folder (its models/model.pt) is left alone
    released = (trained["work"] / "eval" / "nlcen_jsrt" / "metrics.csv").read_text()
    run_workflow(trained["bundle"], ["train.json", "evaluate.json"], trained["work"], **trained["common"])
    assert released == (trained["work"] / "eval" / "metrics.csv").read_text()  # the same weights
    with open(models / "model.pt", "ab") as f:
        f.write(b"\0")
    with pytest.raises(BundleSettingError, match="does not match its checksum"):  # checked before the evaluation
        run_workflow(trained["bundle"], ["train.json", "evaluate.json"], trained["work"], demo=False, **override)


class _Lines(logging.Handler):
    """The messages a logger receives (the bundle's logging.conf replaces the root's handlers, so caplog sees none)."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(record.getMessage())


def test_adversarial_writes_robustness_outputs(trained):
    override = dict(trained["common"], epsilons=[1, 4], panel_eps=4)
    progress, logger = _Lines(), logging.getLogger("nlcen_monai.handlers.progress_log")
    logger.addHandler(progress)
    try:
        run_workflow(trained["bundle"], ["train.json", "adversarial.json"], trained["work"], **override)
    finally:
        logger.removeHandler(progress)
    # the progress line of adversarial.json's ProgressLog: the 8 test images and the passes of the sweep
    assert [line for line in progress.lines if line.startswith("progress: completed 8/8 images, ")], progress.lines
    assert all(" passes" in line for line in progress.lines)
    out = trained["work"] / "eval" / "robustness"
    with open(out / "robustness.csv") as f:
        rows = list(csv.DictReader(f))
    assert [float(r["eps"]) for r in rows] == [0.0, 1.0, 4.0]
    assert all(r["attack"] == "targeted_ifgsm" and int(r["n_images"]) == 8 for r in rows)
    assert [r["checks"] for r in rows] == ["", "unchecked", "unchecked"]  # no checks: upper bounds
    assert (out / "robustness.json").is_file()
    assert (out / "robustness_curves.png").stat().st_size > 0
    assert (out / "robustness_panel_targeted_ifgsm_eps4.png").stat().st_size > 0


@pytest.mark.slow
def test_strong_evaluation_writes_the_worst_case_with_checks_at_every_intensity(trained):
    """configs/attacks/strong.json: the worst case, its members and the checks at each intensity (tiny budget),
    the transfer half of check d crafted on a surrogate (here the model itself)."""
    # skip_broken false: a one-epoch model may be broken (Dice 0) by the paper's attack alone, and the members
    # and the black-box attacks then have no image left to attack (their rows would depend on the tests before)
    override = dict(trained["common"], epsilons=[1, 2], panel_eps=2, attack_iterations=2, square_queries=3,
                    surrogate_checkpoint=str(trained["bundle"] / "models" / "model.pt"),
                    output_dir=str(trained["work"] / "eval_strong"), **{"attack#skip_broken": False})
    run_workflow(trained["bundle"], ["train.json", "adversarial.json", str(REPO / "configs" / "attacks" / "strong.json")],
                 trained["work"], **override)
    out = trained["work"] / "eval_strong" / "robustness"
    with open(out / "robustness.csv") as f:
        rows = {(r["attack"], float(r["eps"])): r for r in csv.DictReader(f)}
    members = {"targeted_ifgsm", "apgd_balanced_masked_ce_red", "apgd_js_red"}
    assert {a for a, _ in rows} == {"worst_case", *members, "check_unbounded", "check_monotone", "check_more_iterations",
                                    "check_black_box", "square", "transfer_apgd_ce"}
    roles = {a: r["role"] for (a, _), r in rows.items()}
    assert {a for a, role in roles.items() if role == "check"} == {
        "check_unbounded", "check_monotone", "check_more_iterations", "check_black_box", "square", "transfer_apgd_ce"}
    assert roles["worst_case"] == "evaluated" and all(roles[m] == "member" for m in members)
    assert len(list((out / "worst_case_images").glob("*.npz"))) == 8  # each image's worst case, for a resumed run
    for eps in (1.0, 2.0):
        worst = float(rows[("worst_case", eps)]["dice"])
        assert all(worst <= float(rows[(m, eps)]["dice"]) + 1e-6 for m in members if int(rows[(m, eps)]["n_images"]) == 8)
        assert ("check_more_iterations", eps) in rows and ("check_black_box", eps) in rows  # checks c, d at every eps
        assert rows[("worst_case", eps)]["checks"] in ("passed",) or rows[("worst_case", eps)]["checks"].startswith(
            ("failed:", "unchecked"))
    report = json.loads((out / "robustness.json").read_text())
    assert sorted(report["intensities"]) == ["1", "2"]


@pytest.mark.parametrize("override, key", [("evaluate.json", "output_dir"), ("adversarial.json", "robustness_dir")])
def test_evaluations_write_outside_the_shipped_bundle_by_default(override, key):
    """With --bundle_root the shipped bundle and no --output_dir, the results go to eval/nlcen_jsrt in the working directory."""
    from monai.bundle import ConfigParser

    parser = ConfigParser()
    parser.read_config([str(REPO / "bundles" / "nlcen_jsrt" / "configs" / c) for c in ("train.json", override)])
    parser["bundle_root"] = str(REPO / "bundles" / "nlcen_jsrt")
    written = Path(parser.get_parsed_content(key))
    assert not written.is_absolute() and written.parts[:2] == ("eval", "nlcen_jsrt")


def test_inference_segments_a_folder(trained):
    import nibabel as nib
    from PIL import Image

    inputs = trained["work"] / "new_images"
    inputs.mkdir()
    rng = np.random.default_rng(0)
    Image.fromarray((rng.random((70, 90)) * 255).astype(np.uint8)).save(inputs / "grey.png")
    Image.fromarray((rng.random((64, 64, 3)) * 255).astype(np.uint8)).save(inputs / "colour.jpg")
    nib.save(nib.Nifti1Image((rng.random((48, 80)) * 255).astype(np.float32), np.eye(4)), inputs / "scan.nii.gz")
    out = trained["work"] / "predictions"
    override = {"ckpt_dir": trained["common"]["ckpt_dir"], "input_dir": str(inputs), "output_dir": str(out),
                "image_size": 64}
    run_workflow(trained["bundle"], ["inference.json"], trained["work"], demo=False, **override)
    header = "image,status,quality,lung_fraction,components,left_right_balance,uncertain_fraction,mask_nii,mask_png"
    assert (out / "predictions.csv").read_text().splitlines()[0] == header
    with open(out / "predictions.csv") as f:
        rows = {Path(r["image"]).name: r for r in csv.DictReader(f)}
    assert set(rows) == {"grey.png", "colour.jpg", "scan.nii.gz"}
    png = np.asarray(Image.open(rows["grey.png"]["mask_png"]))
    assert png.shape == (70, 90) and set(np.unique(png)) <= {0, 255}  # back at the input size
    assert nib.load(rows["scan.nii.gz"]["mask_nii"]).shape[:2] == (48, 80)


def test_ckpt_export_torchscript_matches_network(trained):
    bundle = trained["bundle"]
    ts_path = trained["work"] / "model.ts"
    cmd = [sys.executable, "-m", "monai.bundle", "ckpt_export", "network_def", "--filepath", str(ts_path),
           "--ckpt_file", str(bundle / "models" / "model.pt"), "--meta_file", str(bundle / "configs/metadata.json"),
           "--config_file", str(bundle / "configs/inference.json")]
    subprocess.run(cmd, check=True, capture_output=True, cwd=REPO)
    exported = torch.jit.load(str(ts_path))
    net = _docs_snippet_network(bundle)
    x = torch.rand(1, 1, 64, 64) * 255
    with torch.no_grad():
        torch.testing.assert_close(exported(x), net(x))


@pytest.mark.parametrize("name", ["nlcen_jsrt", "nlcen_isbi2016"])
def test_verify_net_in_out(name):
    bundle = REPO / "bundles" / name
    cmd = [sys.executable, "-m", "monai.bundle", "verify_net_in_out", "network_def",
           "--meta_file", str(bundle / "configs/metadata.json"), "--config_file", str(bundle / "configs/inference.json")]
    result = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "data shape of network is verified with no error" in result.stdout + result.stderr


def _docs_snippet_network(bundle: Path) -> torch.nn.Module:
    """The Python snippet of bundles/nlcen_jsrt/docs/README.md, run verbatim on the bundle copy (its model
    released with a checksum, as the shipped one is) and a phantom radiograph saved as DICOM."""
    from nlcen_monai.data import chest_phantom
    from nlcen_monai.workflows.release import write_checksum
    from tests.data.radiograph_files import write_dicom

    write_checksum(bundle / "models" / "model.pt")
    image = chest_phantom(size=64, rng=0)[0].astype(np.uint16) * 16
    dicom = write_dicom(bundle.parent / "radiograph.dcm", image)
    readme = (REPO / "bundles" / "nlcen_jsrt" / "docs" / "README.md").read_text()
    snippet = readme.split("```python\n", 1)[1].split("```", 1)[0]
    snippet = snippet.replace('"bundles/nlcen_jsrt"', f'"{bundle}"').replace('"radiograph.dcm"', f'"{dicom}"')
    namespace: dict = {}
    exec(compile(snippet, "docs/README.md", "exec"), namespace)
    assert namespace["mask"].shape == image.shape and namespace["result"].quality["quality"]
    return namespace["net"]


def test_docs_snippet_loads_trained_network(trained):
    net = _docs_snippet_network(trained["bundle"])
    state = torch.load(trained["bundle"] / "models" / "model.pt", weights_only=True)
    for key, value in net.state_dict().items():
        torch.testing.assert_close(value, state[key])
    assert not net.training


def test_wrong_key_is_named(tmp_path):
    bundle = REPO / "bundles" / "nlcen_jsrt"
    from monai.bundle import ConfigWorkflow

    workflow = ConfigWorkflow(config_file=str(bundle / "configs" / "train.json"),
                              meta_file=str(bundle / "configs" / "metadata.json"),
                              **{"optimizer#learning_rate": 0.1})  # Adam takes "lr"
    with pytest.raises(Exception) as info:
        workflow.parser.get_parsed_content("optimizer")
    assert "learning_rate" in "".join(_chain(info.value))


def _chain(exc: BaseException):
    while exc is not None:
        yield str(exc)
        exc = exc.__cause__ or exc.__context__


def test_metadata_has_mandatory_keys():
    """MONAI's verify_metadata needs its JSON schema from the internet; check the mandatory keys here."""
    for name, channels in (("nlcen_jsrt", 1), ("nlcen_isbi2016", 3)):
        meta = json.loads((REPO / "bundles" / name / "configs" / "metadata.json").read_text())
        for key in ("schema", "version", "changelog", "monai_version", "pytorch_version", "numpy_version",
                    "required_packages_version", "task", "description", "authors", "copyright",
                    "network_data_format"):
            assert key in meta, f"{name}: {key}"
        assert meta["version"] in meta["changelog"]
        image = meta["network_data_format"]["inputs"]["image"]
        for key in ("type", "format", "modality", "num_channels", "spatial_shape", "dtype", "value_range",
                    "is_patch_data", "channel_def"):
            assert key in image, f"{name}: inputs.image.{key}"
        assert image["num_channels"] == channels
        assert meta["network_data_format"]["outputs"]["pred"]["num_channels"] == 2
        # no placeholder figures: a bundle without a released model states none
        assert all(v not in (0, 0.0, None) for v in meta.get("eval_metrics", {}).values()), name


@pytest.mark.skipif(os.environ.get("NLCEN_SKIP_TORCHRUN") == "1", reason="torchrun test disabled")
@pytest.mark.slow
def test_torchrun_two_process_training_agrees(tmp_path):
    bundle = copy_bundle("nlcen_jsrt", tmp_path)
    report = tmp_path / "metric_rank{}.txt"
    configs = [str(bundle / "configs" / c) for c in ("train.json", "multi_gpu_train.json")] + [str(REPO / "configs/demo.json")]
    finalize = json.dumps([
        f"$open('{report}'.format(dist.get_rank()), 'w').write(repr(@validate#evaluator.state.metrics['val_mean_dice']))",
        "$dist.is_initialized() and dist.destroy_process_group()",
    ])
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "-m", "monai.bundle", "run",
           "--config_file", repr(configs), "--epochs", "1", "--val_fraction", "0.25",
           "--num_workers", "0", "--finalize", finalize]
    env = dict(os.environ, OMP_NUM_THREADS="1")
    result = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, env=env, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    values = [float(Path(str(report).format(rank)).read_text()) for rank in (0, 1)]
    assert values[0] == values[1]
    assert (tmp_path / "demo_runs" / "nlcen_jsrt" / "models" / "model.pt").is_file()

    # the adversarial sweep with the test set sharded over the two ranks, gathered, written by rank 0
    configs = [str(bundle / "configs" / c) for c in ("train.json", "adversarial.json", "multi_gpu_adversarial.json")]
    configs.append(str(REPO / "configs/demo.json"))
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "-m", "monai.bundle", "run",
           "--config_file", repr(configs), "--epsilons", "[1, 4]", "--panel_eps", "4", "--num_workers", "0"]
    result = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, env=env, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    robustness = tmp_path / "demo_runs" / "nlcen_jsrt" / "eval" / "robustness"
    with open(robustness / "robustness.csv") as f:
        rows = list(csv.DictReader(f))
    assert [(float(r["eps"]), int(r["n_images"])) for r in rows] == [(0.0, 8), (1.0, 8), (4.0, 8)]
    assert not list(robustness.glob("*.rank*"))  # each rank's journal was merged and removed


@pytest.mark.parametrize("augment", [False, True])
def test_augment_setting_switches_the_training_augmentation(augment):
    """``augment`` (false: the paper's protocol) adds the random transforms to the training chain only."""
    from monai.bundle import ConfigParser
    from monai.transforms import Randomizable

    parser = ConfigParser()
    parser.read_config(str(REPO / "bundles" / "nlcen_jsrt" / "configs" / "train.json"))
    parser["augment"] = augment
    random = {key: [t for t in parser.get_parsed_content(key).transforms if isinstance(t, Randomizable)]
              for key in ("train#preprocessing", "validate#preprocessing")}
    assert bool(random["train#preprocessing"]) == augment
    assert not random["validate#preprocessing"]
