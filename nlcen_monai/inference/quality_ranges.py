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
"""``python -m nlcen_monai.inference.quality_ranges DATASET_DIR OUT.json``: measure the quality flags' ranges on a
data set's training masks (:class:`~nlcen_monai.inference.QualityRanges`)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import asdict

from nlcen_monai.data import load_datalist
from nlcen_monai.inference.quality import QualityRanges
from nlcen_monai.prep import read_mask_2d

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> None:
    """Write the [min, max] of each quality measure over the masks of a datalist key (default ``training``)."""
    parser = argparse.ArgumentParser(description="Measure the quality ranges on the training masks of a datalist.")
    parser.add_argument("dataset_dir", help="a folder written by data_prep/ (with datalist.json)")
    parser.add_argument("out", help="the JSON to write, e.g. bundles/nlcen_jsrt/configs/quality_ranges.json")
    parser.add_argument("--key", default="training", help="the datalist key whose masks to measure")
    parser.add_argument("--source", default="", help="what the masks are, recorded as the JSON's 'source'")
    args = parser.parse_args(argv)
    items = load_datalist(args.dataset_dir, args.key)
    masks = [read_mask_2d(item["label"]).T for item in items]  # rows first -> MONAI's layout
    shape = " x ".join(str(s) for s in masks[0].shape)
    source = args.source or f"{len(masks)} '{args.key}' masks of {args.dataset_dir} ({shape})"
    ranges = QualityRanges.from_masks(masks, source=source)
    ranges.save(args.out)
    print(json.dumps(asdict(ranges)))


if __name__ == "__main__":
    main()
