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
"""Print the parameter-count table of docs/networks.md (default settings, 1 input channel, 2 classes).

Run: ``python benchmarks/param_counts.py``. Builds every network with and without NLCE (no forward
pass) and prints a Markdown table.
"""

from __future__ import annotations

from nlcen_monai.networks import get_network

ROWS = [
    ("NLCEN-R18", "nlcen", {"backbone": "resnet18"}),
    ("NLCEN-R34", "nlcen", {"backbone": "resnet34"}),
    ("NLCEN-R50", "nlcen", {"backbone": "resnet50"}),
    ("UNet", "unet", {}),
    ("InvertedNet", "invertednet", {}),
    ("NWCN", "nwcn", {}),
    ("CDNN", "cdnn", {}),
    ("SLSDeep", "slsdeep", {}),
]


def count(name: str, nlce: bool, kwargs: dict) -> int:
    net = get_network(name, nlce=nlce, spatial_dims=2, in_channels=1, out_channels=2, **kwargs)
    return sum(p.numel() for p in net.parameters())


def main() -> None:
    print("| network | without NLCE | with NLCE | added by NLCE |")
    print("|---|---:|---:|---:|")
    for label, name, kwargs in ROWS:
        without, with_ = count(name, False, kwargs), count(name, True, kwargs)
        print(f"| {label} | {without:,} | {with_:,} | {with_ - without:,} |")


if __name__ == "__main__":
    main()
