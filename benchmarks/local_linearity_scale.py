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
"""How large ELLE's local-linearity error is on a trained JSRT model, to read ``local_linearity_weight`` against.

``configs/defense/local_linearity.json`` keeps the authors' ``lambda_max`` (4000), set for one classification loss
per image; ours is the pixel-mean cross entropy of a segmentation. This prints, for a bundle model on the first
``--images`` training images (eval mode, no gradient), the mean training loss at ELLE's third point and the mean
error ``E`` per image (:func:`~nlcen_monai.defense.linearity_error` of
:func:`~nlcen_monai.defense.per_image_cross_entropy`, as the trainer computes it), with ``lambda * E`` for the
config's ``lambda``, and the error taken per pixel instead (for comparison only), at each ``--eps``::

    python data_prep/jsrt.py --png-dir ../shared/data/jsrt_png --out runs/data_128 --size 128
    python benchmarks/local_linearity_scale.py --dataset-dir runs/data_128 --eps 8 32
"""

from __future__ import annotations

import argparse

import torch
import torch.nn.functional as F
from monai.bundle import ConfigParser

from nlcen_monai.defense import draw_linearity_points, linearity_error, per_image_cross_entropy

LAMBDA = 4000.0  # configs/defense/local_linearity.json's local_linearity_weight


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset-dir", required=True, help="a converted JSRT folder (data_prep/jsrt.py)")
    parser.add_argument("--bundle", default="bundles/nlcen_jsrt", help="the bundle whose train.json builds the network")
    parser.add_argument("--checkpoint", default="bundles/nlcen_jsrt/models/model.pt", help="the model's state dict")
    parser.add_argument("--images", type=int, default=8, help="how many training images")
    parser.add_argument("--eps", type=float, nargs="+", default=[8.0, 32.0], help="budgets in grey levels")
    parser.add_argument("--seed", type=int, default=0, help="the seed of ELLE's points")
    args = parser.parse_args()
    torch.set_num_threads(1)
    config = ConfigParser()
    config.read_config(f"{args.bundle}/configs/train.json")
    config["dataset_dir"], config["num_workers"] = args.dataset_dir, 0
    net = config.get_parsed_content("network")
    net.load_state_dict(torch.load(args.checkpoint, map_location="cpu", weights_only=True))
    net.eval()
    data = config.get_parsed_content("train#dataset")
    items = [data[i] for i in range(min(args.images, len(data)))]
    images = torch.stack([it["image"] for it in items]).float()
    labels = torch.stack([it["label"] for it in items])
    print(f"{args.checkpoint}, {len(items)} training images, ELLE points seeded {args.seed}")
    print("| eps | loss at c | E per image (mean, max) | lambda E | E per pixel (mean) |")
    print("|---:|---:|---|---:|---:|")
    with torch.no_grad():
        for eps in args.eps:
            points = draw_linearity_points(images, eps, seed=args.seed)
            logits = [net(x) for x in (points.a, points.b, points.c)]
            loss_a, loss_b, loss_c = (per_image_cross_entropy(z, labels) for z in logits)
            error = linearity_error(loss_a, loss_b, loss_c, points.alpha)
            pa, pb, pc = (F.cross_entropy(z.float(), labels[:, 0].long(), reduction="none") for z in logits)
            alpha = points.alpha.view(-1, *([1] * (pc.dim() - 1))).to(pc.dtype)
            per_pixel = ((pc - alpha * pa - (1 - alpha) * pb) ** 2).flatten(1).mean(1)
            print(f"| {eps:g} | {loss_c.mean():.4f} | {error.mean():.2e}, {error.max():.2e} | {LAMBDA * error.mean():.4f} "
                  f"| {per_pixel.mean():.2e} |")


if __name__ == "__main__":
    main()
