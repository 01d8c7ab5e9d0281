"""Shared helpers for the bundle tests: paths and running a bundle workflow in-process."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from monai.bundle import ConfigWorkflow

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "configs" / "demo.json"


def copy_bundle(name: str, dest: Path) -> Path:
    """Copy ``bundles/<name>`` (configs and docs only) to ``dest/<name>`` so a test can write models there."""
    target = dest / name
    shutil.copytree(REPO / "bundles" / name, target, ignore=shutil.ignore_patterns("models", "eval"))
    return target


def run_workflow(bundle: Path, configs: list[str], workdir: Path, demo: bool = True, **override) -> ConfigWorkflow:
    """Run ``configs`` of ``bundle`` (plus the demo override) with ``override`` as MONAI's CLI would, in ``workdir``.

    The demo override writes its synthetic data and outputs relative to the working directory, so the
    test changes into ``workdir`` for the run.
    """
    files = [str(bundle / "configs" / c) for c in configs] + ([str(DEMO)] if demo else [])
    cwd = os.getcwd()
    os.chdir(workdir)
    try:
        workflow = ConfigWorkflow(
            config_file=files,
            meta_file=str(bundle / "configs" / "metadata.json"),
            logging_file=str(bundle / "configs" / "logging.conf"),
            **override,
        )
        workflow.initialize()
        workflow.run()
        workflow.finalize()
    finally:
        os.chdir(cwd)
    return workflow
