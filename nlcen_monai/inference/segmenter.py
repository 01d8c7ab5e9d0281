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
"""The bundle's trained network from Python: a file or an array in, a lung mask on the image's own grid out.

::

    from nlcen_monai.inference import Segmenter

    segmenter = Segmenter.from_bundle("bundles/nlcen_jsrt")      # checks models/model.sha256
    result = segmenter.segment("radiograph.dcm")                 # or a (rows, columns) numpy array
    result.mask      # (rows, columns) uint8, 1 = lung, the layout numpy, PIL and pydicom give the image
    result.quality   # {"quality": "ok", "lung_fraction": ..., "uncertain_fraction": ..., ...}

:meth:`Segmenter.from_bundle` builds ``network_def`` and ``preprocessing`` from the bundle's
``configs/inference.json``, so a file goes through exactly what ``inference.json`` does to it. MONAI's
readers give arrays with the two spatial axes swapped (spatial axis 0 is the horizontal one) and the
network was trained on that layout: an array given in the usual (rows, columns) layout is swapped the
same way here, then goes through the same preprocessing after the loading steps, so an array and the
file it came from give the same mask.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
from monai.bundle import ConfigParser
from monai.data import MetaTensor
from monai.transforms import Compose, EnsureChannelFirstd, Invertd, LoadImaged

from nlcen_monai.inference.quality import QUALITY_KEY, MaskQualityd, MaskUncertaintyd, QualityRanges
from nlcen_monai.workflows.load_network import load_network
from nlcen_monai.workflows.release import CHECKSUM_FILE, MODEL_FILE

__all__ = ["Segmentation", "Segmenter"]


@dataclass
class Segmentation:
    """One image's result.

    Attributes:
        mask: (rows, columns) uint8, 1 = foreground (lung), on the input's own pixel grid.
        quality: the measures of :mod:`nlcen_monai.inference.quality` and the verdict against the bundle's
            ranges (``"unchecked (no quality ranges)"`` without them), as ``predictions.csv`` records them.
    """

    mask: np.ndarray
    quality: dict = field(default_factory=dict)


class Segmenter:
    """A trained network with its bundle's preprocessing: ``segment(path_or_array)`` gives the mask.

    Args:
        network: the trained network, in eval mode, taking [0, 255] pixels.
        preprocessing: the bundle's ``preprocessing`` (a ``Compose`` that starts by loading the file).
        device: where the network runs.
        quality_ranges: the ranges of the quality flags, or None (the verdict is then "unchecked (no quality ranges)").
    """

    def __init__(
        self,
        network: nn.Module,
        preprocessing: Compose,
        device: str | torch.device = "cpu",
        quality_ranges: QualityRanges | None = None,
    ) -> None:
        self.network = network.eval()
        self.preprocessing = preprocessing
        self.array_preprocessing = Compose(
            [t for t in preprocessing.transforms if not isinstance(t, (LoadImaged, EnsureChannelFirstd))]
        )
        self.device = torch.device(device)
        # the steps of inference.json's postprocessing that give the mask on the input's grid and its quality record
        self.invert = Invertd("pred", transform=preprocessing, orig_keys="image", nearest_interp=True)
        self.uncertainty = MaskUncertaintyd("pred")
        self.quality = MaskQualityd("pred", quality_ranges)

    @classmethod
    def from_bundle(
        cls,
        bundle_dir: os.PathLike | str,
        ckpt_dir: os.PathLike | str | None = None,
        device: str | torch.device | None = None,
        config_file: str = "configs/inference.json",
    ) -> Segmenter:
        """The segmenter of a bundle's ``inference.json``, with its released model or one you trained.

        Args:
            bundle_dir: the bundle's folder, e.g. ``bundles/nlcen_jsrt``.
            ckpt_dir: the folder of a trained ``model.pt`` (its ``model.sha256`` checked when present);
                None: the bundle's ``models/model.pt``, which must match its ``models/model.sha256``.
            device: where to run; default the first GPU if there is one, else the CPU.
            config_file: the bundle's inference config, relative to ``bundle_dir``.

        Raises:
            FileNotFoundError: a missing config, model or (for the released model) checksum file, named.
            ValueError: the model does not match its checksum.
        """
        root = Path(bundle_dir)
        device = torch.device(device or ("cuda:0" if torch.cuda.is_available() else "cpu"))
        parser = ConfigParser()
        config = root / config_file
        if not config.is_file():
            raise FileNotFoundError(f"'{config}' does not exist: give the folder of a bundle as bundle_dir.")
        parser.read_config(str(config))
        parser["bundle_root"] = str(root)
        parser["device"] = f"${repr(str(device))}"  # for a config whose transforms place tensors on @device
        model = Path(ckpt_dir) / MODEL_FILE if ckpt_dir is not None else root / "models" / MODEL_FILE
        if not model.is_file():
            raise FileNotFoundError(f"model '{model}' does not exist.")
        if ckpt_dir is None and not (model.parent / CHECKSUM_FILE).is_file():
            raise FileNotFoundError(f"the released model '{model}' has no {CHECKSUM_FILE} beside it to check it against.")
        network = load_network(parser.get_parsed_content("network_def"), model, device)  # checks model.sha256
        ranges = parser.get_parsed_content("quality_ranges") if "quality_ranges" in parser else None
        ranges = QualityRanges.load(ranges) if ranges else None
        return cls(network, parser.get_parsed_content("preprocessing"), device, ranges)

    def _prepare(self, image: os.PathLike | str | np.ndarray | torch.Tensor) -> dict:
        """The preprocessed item of a file, or of an array in (rows, columns[, channels]) layout."""
        if isinstance(image, (str, os.PathLike)):
            return self.preprocessing({"image": str(image)})
        array = np.asarray(image.detach().cpu() if isinstance(image, torch.Tensor) else image)
        if array.ndim not in (2, 3):
            raise ValueError(f"expected a (rows, columns) or (rows, columns, channels) array, got shape {array.shape}.")
        channels_first = np.swapaxes(array, 0, 1)[None] if array.ndim == 2 else np.moveaxis(np.swapaxes(array, 0, 1), -1, 0)
        meta = {"filename_or_obj": "array", "spatial_shape": channels_first.shape[1:], "original_channel_dim": 0}
        return self.array_preprocessing({"image": MetaTensor(torch.from_numpy(np.ascontiguousarray(channels_first)), meta=meta)})

    @torch.no_grad()
    def segment(self, image: os.PathLike | str | np.ndarray | torch.Tensor) -> Segmentation:
        """Segment one image: a file the bundle can read, or an array as numpy, PIL or pydicom give it.

        Args:
            image: a path, or a (rows, columns[, channels]) array in the file's own values (8-, 12- or
                16-bit, or float; the bundle's grey-level rule applies). A DICOM's display steps
                (window, ``MONOCHROME1``) apply to files only: give DICOM radiographs as files.

        Returns:
            the mask on the input's grid, rows first, and its quality flags.
        """
        data = self._prepare(image)
        logits = self.network(data["image"][None].to(self.device))
        record = self.uncertainty({"pred": logits[0].cpu()})[QUALITY_KEY]
        pred = MetaTensor(logits.argmax(1).cpu(), meta=data["image"].meta, applied_operations=data["image"].applied_operations)
        inverted = self.invert({**data, "pred": pred})
        mask = np.asarray(inverted["pred"].detach().cpu().numpy()[0] > 0.5, dtype=np.uint8)  # (W, H): MONAI's layout
        quality = self.quality({"pred": mask[None], QUALITY_KEY: record})[QUALITY_KEY]  # as predictions.csv records it
        return Segmentation(mask=np.ascontiguousarray(mask.T), quality=quality)
