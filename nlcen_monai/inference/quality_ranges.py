# Copyright (c) nlcen-monai contributors
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#     http://www.apache.org/licenses/LICENSE-2.0
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.
"""``python -m nlcen_monai.inference.quality_ranges DATASET_DIR OUT.json [--bundle BUNDLE]``: measure the quality
flags' ranges (:class:`~nlcen_monai.inference.QualityRanges`).

The shape measures' ranges come from the masks of the datalist's ``training`` items; with ``--bundle``, the
range of ``uncertain_fraction`` comes from that bundle's model's predictions on every ``--every``-th image
of the ``--images-key`` items (default: the 14 every-ninth JSRT test images, the project's selection images,
which the model was not trained on): from 0 to the largest value found there."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import asdict

from nlcen_monai.data import load_datalist
from nlcen_monai.inference.quality import QualityRanges
from nlcen_monai.inference.segmenter import Segmenter
from nlcen_monai.prep import read_mask_2d

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> None:
    """Write the [min, max] of each quality measure over the masks of a datalist key (default ``training``)."""
    parser = argparse.ArgumentParser(description="Measure the quality ranges on the training masks of a datalist.")
    parser.add_argument("dataset_dir", help="a folder written by data_prep/ (with datalist.json)")
    parser.add_argument("out", help="the JSON to write, e.g. bundles/nlcen_jsrt/configs/quality_ranges.json")
    parser.add_argument("--key", default="training", help="the datalist key whose masks to measure")
    parser.add_argument("--source", default="", help="what the masks are, recorded as the JSON's 'source'")
    parser.add_argument("--bundle", help="also measure uncertain_fraction with this bundle's model (its released one)")
    parser.add_argument("--images-key", default="test", help="the datalist key of the images the model predicts")
    parser.add_argument("--every", type=int, default=9, help="predict every N-th of those images")
    args = parser.parse_args(argv)
    items = load_datalist(args.dataset_dir, args.key)
    masks = [read_mask_2d(item["label"]).T for item in items]  # rows first -> MONAI's layout
    shape = " x ".join(str(s) for s in masks[0].shape)
    source = args.source or f"{len(masks)} '{args.key}' masks of {args.dataset_dir} ({shape})"
    ranges = QualityRanges.from_masks(masks, source=source)
    if args.bundle:
        images = load_datalist(args.dataset_dir, args.images_key)[:: args.every]
        segmenter = Segmenter.from_bundle(args.bundle)
        values = [segmenter.segment(item["image"]).quality["uncertain_fraction"] for item in images]
        ranges.uncertain_fraction = (0.0, max(values))
        ranges.uncertainty_source = (
            f"the predictions of {args.bundle}'s model on every {args.every}th of the {args.images_key!r} images of "
            f"{args.dataset_dir} ({len(values)} images)"
        )
    ranges.save(args.out)
    print(json.dumps(asdict(ranges)))


if __name__ == "__main__":
    main()
