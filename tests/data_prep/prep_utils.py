"""Helpers for the data_prep tests: load a converter script as a module, build small input layouts."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import sys
import tempfile
import unittest
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from nlcen_monai.data import chest_phantom, lesion_phantom

REPO = Path(__file__).resolve().parents[2]
JSRT_PNG = REPO / ".." / "shared" / "data" / "jsrt_png"
ISIC_VAL150 = REPO / ".." / "shared" / "data" / "isic2017_val150"

# ISBI split folder -> ids
ISBI_LAYOUT = {"Training": ["0000000", "0000001", "0000002"], "Test": ["0000003", "0000004"]}


class TempDirTestCase(unittest.TestCase):
    """A test case with a fresh temporary folder ``self.root`` and an output folder ``self.out`` inside it (not created)."""

    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.root = Path(self._tmp.name)
        self.out = self.root / "out"

    def tearDown(self):
        self._tmp.cleanup()


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


def make_folder_pairs(image_dir: Path, mask_dir: Path | None, suffix: str, n: int, ext: str = ".png") -> None:
    """``n`` chest phantoms ``case<i><ext>`` with 0/255 masks ``case<i><suffix>.png`` (32 x 32)."""
    image_dir.mkdir(parents=True, exist_ok=True)
    (mask_dir or image_dir).mkdir(parents=True, exist_ok=True)
    for i in range(n):
        grey, mask = chest_phantom(32, i)
        Image.fromarray(grey).save(image_dir / f"case{i}{ext}")
        Image.fromarray(mask * 255).save((mask_dir or image_dir) / f"case{i}{suffix}.png")


def make_isbi_layout(root: Path, layout: dict[str, list[str]] = ISBI_LAYOUT, size: tuple[int, int] = (80, 60)) -> Path:
    """ISBI 2016 layout of lesion phantoms: JPEG images and 0/255 PNG masks, ``size`` = (width, height), 4:3 by default."""
    for k, (folder, ids) in enumerate(layout.items()):
        data = root / f"ISBI2016_ISIC_Part1_{folder}_Data"
        truth = root / f"ISBI2016_ISIC_Part1_{folder}_GroundTruth"
        data.mkdir(parents=True)
        truth.mkdir(parents=True)
        for i, case in enumerate(ids):
            image, mask = lesion_phantom(64, 10 * k + i)
            image = np.asarray(Image.fromarray(image).resize(size))  # non-square, like the real set
            mask = np.asarray(Image.fromarray(mask * 255).resize(size, Image.Resampling.NEAREST))
            Image.fromarray(image).save(data / f"ISIC_{case}.jpg", quality=95)
            Image.fromarray(mask).save(truth / f"ISIC_{case}_Segmentation.png")
    return root


@dataclass
class Layout:
    """A small valid input of one converter, and one of its cases to break.

    Args:
        script: the converter's name under ``data_prep/``.
        argv: its arguments, without ``--out``.
        image: the image file of the case to break.
        mask: its mask file (for the JSRT raw layout: the left-lung mask).
        num_cases: how many cases the layout holds.
        inputs: the input folders, one of which an error about an empty input must name.
    """

    script: str
    argv: list[str]
    image: Path
    mask: Path
    num_cases: int
    inputs: list[Path]


def folder_layout(root: Path) -> Layout:
    """``folder.py`` with images and ``_mask`` masks in one folder."""
    make_folder_pairs(root / "img", None, "_mask", 4)
    return Layout("folder", ["--image-dir", str(root / "img")], root / "img" / "case1.png", root / "img" / "case1_mask.png", 4, [root / "img"])


def isbi_layout(root: Path) -> Layout:
    """``isbi2016.py`` with 3 training and 2 test pairs."""
    make_isbi_layout(root / "isbi")
    image = root / "isbi" / "ISBI2016_ISIC_Part1_Training_Data" / "ISIC_0000001.jpg"
    mask = root / "isbi" / "ISBI2016_ISIC_Part1_Training_GroundTruth" / "ISIC_0000001_Segmentation.png"
    return Layout("isbi2016", ["--isbi-dir", str(root / "isbi")], image, mask, 5, [root / "isbi"])


def jsrt_png_layout(root: Path) -> Layout:
    """``jsrt.py --png-dir`` with 4 cases."""
    png = make_png_layout(root / "png", {"JPCLN001": 1, "JPCLN002": 2, "JPCLN003": 3, "JPCNN001": 4})
    images, masks = png / "images", png / "masks"
    return Layout("jsrt", ["--png-dir", str(png)], images / "JPCLN003.png", masks / "JPCLN003.png", 4, [images, masks])


def jsrt_raw_layout(root: Path) -> Layout:
    """``jsrt.py --jsrt-dir --scr-dir`` with 4 cases of 64 x 64 and 32 x 32 SCR masks."""
    jsrt, scr = make_scr_layout(root, {"JPCLN001": 1, "JPCLN002": 2, "JPCLN003": 3, "JPCNN001": 4})
    argv = ["--jsrt-dir", str(jsrt), "--scr-dir", str(scr), "--img-size", "64"]
    return Layout("jsrt", argv, jsrt / "JPCLN003.IMG", scr / "fold1" / "masks" / "left lung" / "JPCLN003.gif", 4, [jsrt, scr])


LAYOUTS: dict[str, Callable[[Path], Layout]] = {
    "folder": folder_layout,
    "isbi2016": isbi_layout,
    "jsrt_png": jsrt_png_layout,
    "jsrt_raw": jsrt_raw_layout,
}
"""Every converter layout, by name; the parameterized tests of data_prep/test_prep_bad_inputs.py run over them."""


def run_script(name: str, argv: list[str]) -> tuple[int, str, str]:
    """Run ``data_prep/<name>.py``'s ``main(argv)`` in process; return its exit status, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = load_script(name).main(argv)
    return code, out.getvalue(), err.getvalue()


def problem_lines(stderr: str) -> list[str]:
    """The problem lines a converter printed (``  - <message>``), without the bullet."""
    return [line[4:] for line in stderr.splitlines() if line.startswith("  - ")]
