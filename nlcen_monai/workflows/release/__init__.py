"""A bundle's released model: ``bundles/<name>/models/model.pt`` with its SHA-256 in ``model.sha256``.

Every MONAI Model Zoo bundle ships its trained weights. Ours ship one state dict (loadable with
``torch.load(..., weights_only=True)``) and its checksum in the ``sha256sum`` format
(``<hex digest>  model.pt``), which :func:`model_path` checks before a bundle loads the file, so a
truncated download or a model replaced by hand is refused with a message instead of segmenting with
the wrong weights.

The bundles' ``evaluate.json``, ``adversarial.json`` and ``inference.json`` load
``model_path(@ckpt_dir, @bundle_name)``: the model trained into ``ckpt_dir`` when one is given, the
released model of the bundle when ``ckpt_dir`` is null (their default). The released model is looked
for in ``bundles/<name>/models/`` under the directories of ``NLCEN_BUNDLES_DIR`` (``os.pathsep``-
separated), then of the working directory and of the source checkout the package was installed from.

Releasing a model (:func:`export_release`, or ``python -m nlcen_monai.workflows.release CHECKPOINT
OUT_DIR [--half]``) keeps the network's weights only (an interval checkpoint's optimizer and trainer
state are dropped), optionally as float16 (``--half``: half the size; ``load_state_dict`` casts the
values back to the network's float32), and writes the checksum beside it.
"""

from __future__ import annotations

import argparse
import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

import torch

from nlcen_monai.utils.atomic import atomic_write, atomic_write_text

__all__ = [
    "MODEL_FILE",
    "CHECKSUM_FILE",
    "BUNDLES_DIR_ENV",
    "bundle_file",
    "file_sha256",
    "write_checksum",
    "verify_checksum",
    "released_model",
    "model_path",
    "export_release",
]

MODEL_FILE = "model.pt"
CHECKSUM_FILE = "model.sha256"
#: environment variable: directories (``os.pathsep``-separated) that hold ``bundles/<name>/models``
BUNDLES_DIR_ENV = "NLCEN_BUNDLES_DIR"


def file_sha256(path: str | os.PathLike) -> str:
    """The SHA-256 hex digest of the file at ``path``."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _checksum_file(model: Path, checksum: str | os.PathLike | None) -> Path:
    return model.parent / CHECKSUM_FILE if checksum is None else Path(checksum)


def write_checksum(model: str | os.PathLike, checksum: str | os.PathLike | None = None) -> str:
    """Write ``<sha256>  <file name>`` for ``model`` (default: ``model.sha256`` beside it); returns the digest.

    Args:
        model: the model file.
        checksum: the checksum file to write.
    """
    model = Path(model)
    digest = file_sha256(model)
    atomic_write_text(_checksum_file(model, checksum), f"{digest}  {model.name}\n")
    return digest


def verify_checksum(model: str | os.PathLike, checksum: str | os.PathLike | None = None) -> str:
    """Check ``model`` against its checksum file (default: ``model.sha256`` beside it); returns the digest.

    Args:
        model: the model file.
        checksum: the ``sha256sum``-format file holding its expected digest.

    Raises:
        FileNotFoundError: when the model or the checksum file is missing.
        ValueError: when the checksum file is malformed or the digests differ (both named).
    """
    model = Path(model)
    checksum = _checksum_file(model, checksum)
    for path in (model, checksum):
        if not path.is_file():
            raise FileNotFoundError(f"'{path}' does not exist (a released model ships as {MODEL_FILE} + {CHECKSUM_FILE}).")
    fields = checksum.read_text(encoding="utf-8").split()
    if not fields or len(fields[0]) != 64:
        raise ValueError(f"'{checksum}' holds no SHA-256 digest (expected '<64 hex digits>  {model.name}').")
    actual = file_sha256(model)
    if actual != fields[0].lower():
        raise ValueError(
            f"'{model}' does not match its checksum in '{checksum}' (expected {fields[0]}, got {actual}): "
            "the file is damaged or was replaced; download the bundle again or give your own --ckpt_dir."
        )
    return actual


def _search_dirs() -> list[Path]:
    dirs = [Path(d) for d in os.environ.get(BUNDLES_DIR_ENV, "").split(os.pathsep) if d]
    dirs.append(Path.cwd())
    dirs.append(Path(__file__).resolve().parents[3])  # a source checkout: <repo>/nlcen_monai/workflows/release/__init__.py
    return dirs


def released_model(bundle_name: str, search: Sequence[str | os.PathLike] | None = None) -> str:
    """The path of bundle ``bundle_name``'s released ``model.pt``, its checksum verified.

    Args:
        bundle_name: e.g. ``"nlcen_jsrt"``.
        search: directories holding ``bundles/<bundle_name>/models``; default ``NLCEN_BUNDLES_DIR``,
            the working directory and the package's source checkout.

    Raises:
        FileNotFoundError: when no directory holds the model, naming the places looked at.
        ValueError: when the model does not match its checksum.
    """
    places = [Path(d) / "bundles" / bundle_name / "models" / MODEL_FILE for d in (search or _search_dirs())]
    for path in places:
        if path.is_file():
            verify_checksum(path)
            return str(path)
    raise FileNotFoundError(
        f"no released model of bundle '{bundle_name}' in {[str(p) for p in places]}; give the folder of a trained "
        f"{MODEL_FILE} with --ckpt_dir, or set {BUNDLES_DIR_ENV} to the directory that holds 'bundles/'."
    )


def bundle_file(bundle_name: str, relative: str, bundle_root: str | os.PathLike | None = None) -> str | None:
    """A file that bundle ``bundle_name`` ships, e.g. ``configs/quality_ranges.json``.

    ``<bundle_root>/<relative>`` when it exists (the bundle run with ``--bundle_root``), else
    ``bundles/<bundle_name>/<relative>`` in the places :func:`released_model` looks; None when it is nowhere.

    Args:
        bundle_name: e.g. ``"nlcen_jsrt"``.
        relative: the file's path inside the bundle folder.
        bundle_root: the bundle folder of the run, looked at first.
    """
    places = [Path(bundle_root) / relative] if bundle_root is not None else []
    places += [Path(d) / "bundles" / bundle_name / relative for d in _search_dirs()]
    return next((str(p) for p in places if p.is_file()), None)


def model_path(ckpt_dir: str | os.PathLike | None, bundle_name: str) -> str:
    """The model a bundle evaluates: ``<ckpt_dir>/model.pt``, or the bundle's released model when ``ckpt_dir`` is None.

    A ``model.sha256`` beside a trained model is checked too.

    Args:
        ckpt_dir: the folder of a trained ``model.pt`` (``--ckpt_dir``), or None for the released model.
        bundle_name: the bundle's name (``bundle_name`` in its configs).

    Raises:
        FileNotFoundError: the model (or the released model's checksum file) does not exist, named.
        ValueError: the model does not match its checksum.
    """
    if ckpt_dir is None:
        return released_model(bundle_name)
    path = Path(ckpt_dir) / MODEL_FILE
    if not path.is_file():
        raise FileNotFoundError(f"ckpt_dir '{ckpt_dir}' holds no {MODEL_FILE}: give the folder of a trained model.")
    if (path.parent / CHECKSUM_FILE).is_file():
        verify_checksum(path)
    return str(path)


def export_release(
    checkpoint: str | os.PathLike, out_dir: str | os.PathLike, half: bool = False, key: str = "model"
) -> tuple[str, str]:
    """Write a checkpoint's network weights as a released ``model.pt`` with its ``model.sha256``.

    Args:
        checkpoint: a ``model.pt`` (a state dict) or an interval checkpoint (``{key: state dict, ...}``).
        out_dir: the bundle's ``models`` folder.
        half: store floating-point tensors as float16 (loading casts them back to the network's dtype).
        key: the entry of an interval checkpoint that holds the network's state dict.

    Returns:
        the path of the written model and its SHA-256 digest.
    """
    state = torch.load(checkpoint, map_location="cpu", weights_only=True)
    if isinstance(state, dict) and isinstance(state.get(key), dict):
        state = state[key]
    if half:
        state = {k: v.half() if torch.is_floating_point(v) else v for k, v in state.items()}
    path = Path(out_dir) / MODEL_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda f: torch.save(state, f))
    return str(path), write_checksum(path)


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m nlcen_monai.workflows.release CHECKPOINT OUT_DIR [--half]``: release a trained model."""
    parser = argparse.ArgumentParser(description="Release a trained model as a bundle's models/model.pt + model.sha256.")
    parser.add_argument("checkpoint", help="a model.pt or an interval checkpoint_epoch=N.pt")
    parser.add_argument("out_dir", help="the bundle's models folder, e.g. bundles/nlcen_jsrt/models")
    parser.add_argument("--half", action="store_true", help="store the weights as float16")
    args = parser.parse_args(argv)
    path, digest = export_release(args.checkpoint, args.out_dir, half=args.half)
    print(f"{path}: {os.path.getsize(path) / 2**20:.1f} MiB, sha256 {digest}")

