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
"""Write a synthetic dataset (the phantoms of :mod:`nlcen_monai.data.phantoms` + ``datalist.json``) in the converters' output format.

``make_synthetic_dataset`` is what a bundle calls from its config to get data on a fresh machine
(``configs/demo.json``; the config must import ``nlcen_monai.prep``)::

    "datalist": "$nlcen_monai.prep.make_synthetic_dataset(@dataset_dir, 32, 16, 256, 0, 'chest')"

It is idempotent: when the folder already holds the same dataset (same parameters, every file
present) it returns at once.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from nlcen_monai.data.phantoms import chest_phantom, lesion_phantom
from nlcen_monai.prep.dataset_writer import DATALIST_NAME, DatasetWriter

__all__ = ["SYNTHETIC_KINDS", "make_synthetic_dataset"]

SYNTHETIC_KINDS = {"chest": (chest_phantom, "lung"), "lesion": (lesion_phantom, "lesion")}
_SPLIT_STREAMS = {"training": 0, "test": 1}


def _is_complete(datalist: Path, params: dict) -> bool:
    try:
        content = json.loads(datalist.read_text())
    except (OSError, ValueError):
        return False
    if content.get("synthetic") != params:
        return False
    entries = content.get("training", []) + content.get("test", [])
    return all((datalist.parent / e[key]).is_file() for e in entries for key in ("image", "label"))


def make_synthetic_dataset(
    out_dir: os.PathLike | str,
    num_train: int = 32,
    num_test: int = 16,
    size: int = 256,
    seed: int = 0,
    kind: str = "chest",
) -> str:
    """Write ``num_train`` + ``num_test`` phantoms and a datalist under ``out_dir``; return its path.

    Case ``i`` of a split depends only on ``(seed, split, i)``, so adding cases keeps the others.

    Args:
        out_dir: output folder (``images/``, ``masks/``, ``datalist.json``).
        num_train: number of training cases.
        num_test: number of test cases.
        size: side length of the images.
        seed: random seed.
        kind: ``"chest"`` (grey, lungs) or ``"lesion"`` (RGB, skin lesion).

    Returns:
        the path of ``datalist.json`` as a string (ready for ``load_decathlon_datalist``).
    """
    if kind not in SYNTHETIC_KINDS:
        raise ValueError(f"kind must be one of {sorted(SYNTHETIC_KINDS)}, got {kind!r}.")
    if num_train < 0 or num_test < 0 or num_train + num_test == 0:
        raise ValueError(f"need a positive number of cases, got num_train={num_train}, num_test={num_test}.")
    params = {"kind": kind, "num_train": int(num_train), "num_test": int(num_test), "size": int(size), "seed": int(seed)}
    datalist = Path(out_dir) / DATALIST_NAME
    if _is_complete(datalist, params):
        return str(datalist)
    phantom, label = SYNTHETIC_KINDS[kind]
    writer = DatasetWriter(
        out_dir,
        size=size,
        name=f"synthetic-{kind}",
        description=f"seeded synthetic {kind} phantoms (nlcen_monai.data.phantoms)",
        labels={"0": "background", "1": label},
    )
    for split, count in (("training", num_train), ("test", num_test)):
        for i in range(count):
            image, mask = phantom(size, [seed, _SPLIT_STREAMS[split], i])
            writer.write_case(split, f"{kind}_{split}_{i:04d}", image, mask)
    return str(writer.write_datalist(extra={"synthetic": params}))
