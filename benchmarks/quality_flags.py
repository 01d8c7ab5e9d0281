"""How well the quality flags of ``predictions.csv`` point at the masks to check, measured on real JSRT.

The released model of a bundle segments the test images that chose nothing (all test images but the
every-ninth ones, which set the ``uncertain_fraction`` range) as they are and with 96 grey levels of added
brightness (the corruption that hurts it most), through :class:`nlcen_monai.inference.Segmenter` (the
masks of ``inference.json``). The per-image record (case, condition, DIC against the lung mask at the
image's own size, verdict, measures) goes to ``--out``, and its table
(:mod:`nlcen_monai.reports.quality_flags_table`) is printed.

Usage::

    python benchmarks/quality_flags.py --png-dir ../shared/data/jsrt_png --dataset-dir runs/data_128 \\
        --out results/nlcen_jsrt/0.5.0/quality_flags.csv
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from nlcen_monai.data import load_datalist
from nlcen_monai.inference import MEASURES, QUALITY_KEY, Segmenter
from nlcen_monai.reports.quality_flags_table import quality_flags_table
from nlcen_monai.utils.atomic import atomic_write_text

CONDITIONS = {"clean": 0, "brightness+96": 96}


def dice(a: np.ndarray, b: np.ndarray) -> float:
    return float(2 * (a & b).sum() / max(a.sum() + b.sum(), 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--png-dir", required=True, help="the JSRT PNG copy (images/, masks/)")
    parser.add_argument("--dataset-dir", required=True, help="its data_prep/jsrt.py conversion (for the test split)")
    parser.add_argument("--bundle", default="bundles/nlcen_jsrt")
    parser.add_argument("--out", required=True, help="the per-image record (CSV)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    segmenter = Segmenter.from_bundle(args.bundle, device="cpu")
    test = [Path(item["image"]).stem for item in load_datalist(args.dataset_dir, "test")]
    selection = set(test[::9])
    rows = []
    for case in (c for c in test if c not in selection):
        grey = np.asarray(Image.open(Path(args.png_dir) / "images" / f"{case}.png")).astype(np.int32)
        truth = np.asarray(Image.open(Path(args.png_dir) / "masks" / f"{case}.png")) > 0
        for condition, shift in CONDITIONS.items():
            result = segmenter.segment(np.clip(grey + shift, 0, 255).astype(np.uint8))
            rows.append({"case": case, "condition": condition, "dice": round(dice(result.mask > 0, truth), 4), **result.quality})
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=["case", "condition", "dice", QUALITY_KEY, *MEASURES], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    atomic_write_text(args.out, buffer.getvalue())
    sys.stdout.write(quality_flags_table(args.out))

if __name__ == "__main__":
    main()
