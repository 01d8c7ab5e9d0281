"""Helpers for the data_prep tests: load a converter script as a module, build small input layouts."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from nlcen_monai.data import chest_phantom

REPO = Path(__file__).resolve().parents[2]
JSRT_PNG = REPO / ".." / "shared" / "data" / "jsrt_png"


def load_script(name: str):
    """Import ``data_prep/<name>.py`` (a script, not a package module) and return it."""
    module_name = f"data_prep_{name}"
    if module_name not in sys.modules:
        spec = importlib.util.spec_from_file_location(module_name, REPO / "data_prep" / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
    return sys.modules[module_name]


def write_raw(path: Path, grey: np.ndarray, invert: bool = True) -> np.ndarray:
    """Write grey levels as a 12-bit big-endian JSRT-style ``.IMG`` (inverted like JSRT by default)."""
    raw = grey.astype(np.uint16) * 16 + 8
    raw = 4095 - raw if invert else raw
    raw.astype(">u2").tofile(path)
    return raw


def make_scr_layout(root: Path, cases: dict[str, int], size: int = 64, invert: bool | dict = True) -> tuple[Path, Path]:
    """JSRT raw layout: ``root/jsrt/<case>.IMG`` (size x size) and half-size SCR ``.gif`` masks.

    Args:
        root: folder to create the layout in.
        cases: case name -> phantom seed.
        size: side of the ``.IMG`` files; masks are size // 2.
        invert: raw polarity, for all cases or per case name.
    """
    jsrt, scr = root / "jsrt", root / "scr"
    jsrt.mkdir(parents=True, exist_ok=True)
    for name, seed in cases.items():
        grey, mask = chest_phantom(size, seed)
        flag = invert[name] if isinstance(invert, dict) else invert
        write_raw(jsrt / f"{name}.IMG", grey, flag)
        fold = "fold1" if int(name[-3:]) % 2 else "fold2"
        half = mask[::2, ::2]
        for lung, cols in (("right lung", slice(0, size // 4)), ("left lung", slice(size // 4, None))):
            part = np.zeros_like(half)
            part[:, cols] = half[:, cols]
            folder = scr / fold / "masks" / lung
            folder.mkdir(parents=True, exist_ok=True)
            Image.fromarray(part * 255).save(folder / f"{name}.gif")
    return jsrt, scr


def make_png_layout(root: Path, cases: dict[str, int], size: int = 48) -> Path:
    """JSRT PNG layout: ``root/images/<case>.png`` (lungs dark) and ``root/masks/<case>.png`` (0/1)."""
    for sub in ("images", "masks"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for name, seed in cases.items():
        grey, mask = chest_phantom(size, seed)
        Image.fromarray(grey).save(root / "images" / f"{name}.png")
        Image.fromarray(mask).save(root / "masks" / f"{name}.png")
    return root


def leftovers(folder: Path) -> list[Path]:
    """Temporary files left behind by an interrupted atomic write."""
    return [p for p in folder.rglob("*") if p.name.endswith(".tmp")]
