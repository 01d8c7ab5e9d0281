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
"""Datalist helpers for the bundles: decathlon-style lists and folders of images, with clear errors."""

from __future__ import annotations

import json
import os
from pathlib import Path

from monai.data import load_decathlon_datalist

from nlcen_monai.data.suffixes import IMAGE_SUFFIXES, split_name

__all__ = ["datalist_path", "load_datalist", "list_images"]


def datalist_path(dataset_dir: os.PathLike | str, datalist: str = "datalist.json") -> Path:
    """The datalist file inside dataset_dir, checked to exist.

    Args:
        dataset_dir: folder written by one of the data_prep converters.
        datalist: name of the JSON file inside dataset_dir.

    Raises:
        FileNotFoundError: when dataset_dir or the datalist does not exist, naming the path.
    """
    root = Path(dataset_dir)
    if not root.is_dir():
        raise FileNotFoundError(
            f"dataset_dir '{root}' does not exist: convert a dataset with data_prep/ and give its folder as --dataset_dir."
        )
    path = root / datalist
    if not path.is_file():
        raise FileNotFoundError(f"dataset_dir '{root}' holds no {datalist}: is it a folder written by data_prep/?")
    return path


def load_datalist(dataset_dir: os.PathLike | str, key: str = "training", datalist: str = "datalist.json") -> list[dict]:
    """Read dataset_dir/datalist (MONAI decathlon style) and return key's items with absolute paths.

    Args:
        dataset_dir: folder written by one of the data_prep converters.
        key: "training" or "test".
        datalist: name of the JSON file inside dataset_dir.

    Raises:
        FileNotFoundError: when dataset_dir or the datalist does not exist, naming the path.
        ValueError: when the datalist has no key or it is empty.
    """
    path = datalist_path(dataset_dir, datalist)
    with open(path) as f:
        if not json.load(f).get(key):  # checked here: MONAI fails with an IndexError on an empty "test" list
            raise ValueError(f"datalist '{path}' has no items under '{key}'.")
    return load_decathlon_datalist(str(path), is_segmentation=True, data_list_key=key, base_dir=str(path.parent))


def list_images(input_dir: os.PathLike | str, key: str = "image") -> list[dict]:
    """Every image file directly in input_dir (sorted) as [{key: path}, ...] for inference.

    An image file has a suffix of :data:`~nlcen_monai.data.suffixes.IMAGE_SUFFIXES` in any case.

    Raises:
        FileNotFoundError: when input_dir does not exist or holds no supported image, naming it.
    """
    root = Path(input_dir)
    if not root.is_dir():
        raise FileNotFoundError(f"input_dir '{root}' does not exist.")
    files = sorted(p for p in root.iterdir() if p.is_file() and split_name(p) is not None)
    if not files:
        raise FileNotFoundError(f"input_dir '{root}' holds no image with a suffix in {IMAGE_SUFFIXES}.")
    return [{key: str(p)} for p in files]
