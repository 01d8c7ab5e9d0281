"""Bad inputs that real data brings, run through every converter (folder, ISBI 2016, JSRT PNG and raw layouts).

Each test builds a small valid layout (``prep_utils.LAYOUTS``), breaks one case, converts, and checks that the
converter names the file, converts the other cases and exits 1 (or, for inputs it now handles, exits 0).
"""

from __future__ import annotations

import json
import shutil
import unittest
from pathlib import Path

import numpy as np
from parameterized import parameterized
from PIL import Image
from scipy import ndimage

from tests.data_prep.prep_utils import LAYOUTS, Layout, TempDirTestCase, leftovers, problem_lines, run_script, write_raw

ALL_LAYOUTS = [(name,) for name in LAYOUTS]
PNG_MASK_LAYOUTS = [(name,) for name in LAYOUTS if name != "jsrt_raw"]  # SCR masks are GIF: no alpha, no 16 bits


def _soft(label: np.ndarray) -> np.ndarray:
    """A hand-drawn-looking mask: 3 inside, 2 on the inner edge, 1 on a ring outside, 0 elsewhere."""
    soft = label.astype(np.uint8) * 3
    soft[label & ~ndimage.binary_erosion(label)] = 2
    soft[ndimage.binary_dilation(label) & ~label] = 1
    return soft


def _rgba(colour: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    return np.dstack([colour, colour, colour, alpha]).astype(np.uint8)


# (name, mask kind: label -> array saved with PIL)
BINARY_MASK_KINDS = [
    ("uint16_0_65535", lambda label: label.astype(np.uint16) * 65535),
    ("bool", lambda label: label.astype(bool)),
    ("uint8_0_1", lambda label: label.astype(np.uint8)),
    ("alpha_only_black", lambda label: _rgba(np.zeros(label.shape), label * 255)),
    ("alpha_only_white", lambda label: _rgba(np.full(label.shape, 255), label * 255)),
    ("white_on_transparent", lambda label: _rgba(label * 255, label * 255)),
]

# (name, mask kind, words of the message)
REJECTED_MASK_KINDS = [
    ("empty", lambda label: np.zeros(label.shape, np.uint8), "mask is empty"),
    ("full", lambda label: np.full(label.shape, 255, np.uint8), "covers the whole image"),
    ("alpha_and_colour_differ", lambda label: _rgba(label * 255, np.roll(label, 3, axis=1) * 255), "alpha channel"),
]


class TestBadInputs(TempDirTestCase):
    def _run(self, layout: Layout, *extra: str) -> tuple[int, str, list[str]]:
        code, stdout, stderr = run_script(layout.script, layout.argv + ["--out", str(self.out), *extra])
        return code, stdout, problem_lines(stderr)

    def _label(self, layout: Layout) -> np.ndarray:
        return np.asarray(Image.open(layout.mask).convert("L")) > 0

    def _written(self) -> dict:
        return json.loads((self.out / "datalist.json").read_text())

    def _assert_only_bad(self, layout: Layout, code: int, problems: list[str], bad: Path, words: str) -> None:
        self.assertEqual(code, 1)
        self.assertEqual(len(problems), 1, problems)
        self.assertIn(str(bad), problems[0])
        self.assertIn(words, problems[0])
        written = self._written()
        self.assertEqual(written["numTraining"] + written["numTest"], layout.num_cases - 1)

    @parameterized.expand(ALL_LAYOUTS)
    def test_soft_mask_needs_threshold(self, name):
        layout = LAYOUTS[name](self.root)
        soft = _soft(self._label(layout))
        Image.fromarray(soft).save(layout.mask)
        code, _, problems = self._run(layout, "--size", "16")
        self._assert_only_bad(layout, code, problems, layout.mask, "not binary")
        self.assertIn("found 0, 1, 2, 3", problems[0])
        self.assertIn("--mask-threshold", problems[0])

        code, stdout, problems = self._run(layout, "--size", "original", "--mask-threshold", "0")
        self.assertEqual((code, problems), (0, []))
        changed = int(np.count_nonzero((soft == 1) | (soft == 2)))
        self.assertIn(f"  {layout.mask}: {changed} of {soft.size} pixels", stdout.splitlines())
        self.assertIn(f"--mask-threshold 0: changed {changed} pixel(s) in 1 of", stdout)
        self.assertEqual(self._written()["mask_threshold"], 0.0)
        if name != "jsrt_raw":  # the raw layout's mask is left OR right lung, on a finer grid
            written = np.asarray(Image.open(self.out / "masks" / f"{layout.image.stem}.png"))
            np.testing.assert_array_equal(written, soft > 0)

    @parameterized.expand(ALL_LAYOUTS)
    def test_threshold_above_every_value_empties_the_mask(self, name):
        layout = LAYOUTS[name](self.root)
        code, _, problems = self._run(layout, "--size", "16", "--mask-threshold", "255")
        self.assertEqual(code, 1)
        empty = [p for p in problems if "mask is empty (no foreground pixel with --mask-threshold 255, values 0.." in p]
        self.assertEqual(len(empty), layout.num_cases, problems)

    @parameterized.expand([(layout, kind, make) for (layout,) in PNG_MASK_LAYOUTS for kind, make in BINARY_MASK_KINDS])
    def test_binary_mask_kinds_accepted(self, name, _, make):
        layout = LAYOUTS[name](self.root)
        label = self._label(layout)
        Image.fromarray(make(label)).save(layout.mask)
        code, _, problems = self._run(layout, "--size", "original")
        self.assertEqual((code, problems), (0, []))
        written = np.asarray(Image.open(self.out / "masks" / f"{layout.image.stem}.png"))
        np.testing.assert_array_equal(written, label)

    @parameterized.expand(
        [
            (layout, kind, make, words)
            for (layout,) in ALL_LAYOUTS
            for kind, make, words in REJECTED_MASK_KINDS
            if (layout,) in PNG_MASK_LAYOUTS or "alpha" not in kind
        ]
    )
    def test_rejected_masks(self, name, _, make, words):
        layout = LAYOUTS[name](self.root)
        Image.fromarray(make(self._label(layout))).save(layout.mask)
        code, _, problems = self._run(layout, "--size", "16")
        self._assert_only_bad(layout, code, problems, layout.mask, words)

    @parameterized.expand(ALL_LAYOUTS)
    def test_constant_image(self, name):
        layout = LAYOUTS[name](self.root)
        if layout.image.suffix == ".IMG":
            write_raw(layout.image, np.full((64, 64), 100, np.uint8))
        else:
            shape = np.asarray(Image.open(layout.image)).shape
            Image.fromarray(np.full(shape, 128, np.uint8)).save(layout.image)
        code, _, problems = self._run(layout, "--size", "16")
        self._assert_only_bad(layout, code, problems, layout.image, "constant image")

    @parameterized.expand(ALL_LAYOUTS)
    def test_out_is_a_file(self, name):
        layout = LAYOUTS[name](self.root)
        self.out.write_text("not a folder")
        code, _, problems = self._run(layout, "--size", "16")
        self.assertEqual(code, 1)
        self.assertEqual(len(problems), 1, problems)
        self.assertIn(f"{self.out}: the output folder is an existing file", problems[0])
        self.assertEqual(self.out.read_text(), "not a folder")

    def test_out_under_a_file(self):
        layout = LAYOUTS["folder"](self.root)
        self.out.write_text("not a folder")
        code, _, stderr = run_script(layout.script, layout.argv + ["--out", str(self.out / "sub")])
        self.assertEqual((code, len(problem_lines(stderr))), (1, 1), stderr)
        self.assertIn(f"lies under {self.out}, which is an existing file", stderr)

    @parameterized.expand(ALL_LAYOUTS)
    def test_rerun_removes_stale_outputs(self, name):
        layout = LAYOUTS[name](self.root)
        self.assertEqual(self._run(layout, "--size", "16")[0], 0)
        (self.out / "images" / "gone.png").write_bytes(b"from an older run")
        Image.fromarray(np.zeros(self._label(layout).shape, np.uint8)).save(layout.mask)  # this case now fails
        code, stdout, problems = self._run(layout, "--size", "16")
        self.assertEqual((code, len(problems)), (1, 1), problems)
        self.assertIn("removed 3 file(s) of an earlier run", stdout)
        written = self._written()
        listed = {e[key] for split in ("training", "test") for e in written[split] for key in ("image", "label")}
        on_disk = {f"{p.parent.name}/{p.name}" for sub in ("images", "masks") for p in (self.out / sub).iterdir()}
        self.assertEqual(on_disk, listed)
        self.assertEqual(len(listed), 2 * (layout.num_cases - 1))
        self.assertEqual(leftovers(self.out), [])

    @parameterized.expand(ALL_LAYOUTS)
    def test_foreign_out_folder_refused(self, name):
        layout = LAYOUTS[name](self.root)
        mine = self.out / "images" / "mine.png"
        mine.parent.mkdir(parents=True)
        mine.write_bytes(b"somebody's data")
        code, _, problems = self._run(layout, "--size", "16")
        self.assertEqual((code, len(problems)), (1, 1), problems)
        self.assertIn(f"{self.out}: images/ or masks/ already hold 1 file(s) but there is no datalist.json", problems[0])
        self.assertEqual(sorted(p.name for p in self.out.rglob("*")), ["images", "mine.png"])

    @parameterized.expand(ALL_LAYOUTS)
    def test_empty_input_names_the_input(self, name):
        layout = LAYOUTS[name](self.root)
        for folder in layout.inputs:
            shutil.rmtree(folder)
            folder.mkdir()
        code, _, problems = self._run(layout)
        self.assertEqual(code, 1)
        self.assertTrue(any(str(layout.inputs[0]) in p and "no image/mask pairs found" in p for p in problems), problems)
        self.assertFalse(any(str(self.out) in p for p in problems), problems)
        self.assertFalse(self.out.exists())


if __name__ == "__main__":
    unittest.main()
