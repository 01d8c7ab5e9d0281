"""Tests of the nlcen_isbi2016 bundle: one training epoch on synthetic lesion phantoms, docs snippet, export."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from tests.bundles.bundle_utils import REPO, copy_bundle, run_workflow


@pytest.mark.slow
def test_train_one_epoch_load_like_the_docs_and_export(tmp_path):
    bundle = copy_bundle("nlcen_isbi2016", tmp_path)
    override = {"epochs": 1, "num_workers": 0, "ckpt_dir": str(bundle / "models"), "output_dir": str(tmp_path / "eval"),
                "progress_bar": False, "width": 1.0}
    workflow = run_workflow(bundle, ["train.json"], tmp_path, **override)
    batch = next(iter(workflow.parser.get_parsed_content("train#dataloader")))
    assert batch["image"].shape[1] == 3  # RGB phantoms
    assert 0.0 <= float(batch["image"].min()) and float(batch["image"].max()) <= 255.0  # pixel domain
    assert (bundle / "models" / "model.pt").is_file()

    readme = (REPO / "bundles" / "nlcen_isbi2016" / "docs" / "README.md").read_text()
    snippet = readme.split("```python\n", 1)[1].split("```", 1)[0].replace('bundle_dir="bundles"', f'bundle_dir="{tmp_path}"')
    namespace: dict = {}
    exec(compile(snippet, "docs/README.md", "exec"), namespace)
    net = namespace["net"]
    with torch.no_grad():
        assert net(torch.rand(1, 3, 64, 64) * 255).shape == (1, 2, 64, 64)

    # TorchScript export of the trained network gives the same logits
    ts_path = tmp_path / "model.ts"
    cmd = [sys.executable, "-m", "monai.bundle", "ckpt_export", "network_def", "--filepath", str(ts_path),
           "--ckpt_file", str(bundle / "models" / "model.pt"), "--meta_file", str(bundle / "configs/metadata.json"),
           "--config_file", str(bundle / "configs/inference.json")]
    subprocess.run(cmd, check=True, capture_output=True, cwd=REPO)
    x = torch.rand(1, 3, 64, 64) * 255
    with torch.no_grad():
        torch.testing.assert_close(torch.jit.load(str(ts_path))(x), net(x))

