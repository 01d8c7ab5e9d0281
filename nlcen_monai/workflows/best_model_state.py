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
"""The validation's record of its best model, checkpointed with the trainer so that ``--resume`` continues it.

MONAI's ``CheckpointSaver(save_key_metric=True, key_metric_filename="model.pt")`` keeps the best validation
score it has seen in memory. A resumed run starts with an empty record, so its first validation replaces
``model.pt`` whether or not it beats the model saved before the stop. MONAI can store that record inside
``model.pt`` (``key_metric_save_state=True``), but ``model.pt`` would then no longer be the network's bare
state dict that the bundles' loaders, the release tool and the Model Zoo's convention expect. This object
puts the record into the trainer's interval checkpoint instead (the bundles' ``checkpoint_objects``),
together with the evaluator's ``best_metric`` and ``best_metric_epoch`` (what its log reports).
"""

from __future__ import annotations

from typing import Any

from ignite.engine import Engine
from monai.handlers import CheckpointSaver

__all__ = ["BestModelState"]


class BestModelState:
    """``state_dict`` / ``load_state_dict`` of the validation's best-model bookkeeping, for ``Checkpoint``.

    Args:
        evaluator: the validation engine (the bundles' ``validate#evaluator``).
        saver: its best-model ``CheckpointSaver`` (``validate#best_model_saver``); None where it is disabled
            (on the ranks other than 0), which then restores only the evaluator's record.

    Example::

        state = BestModelState(evaluator, best_model_saver)
        CheckpointSaver(save_dir, {"model": net, "trainer": trainer, "validation": state}, save_interval=1)
        CheckpointLoader(latest, {"model": net, "trainer": trainer, "validation": state})  # on resume
    """

    def __init__(self, evaluator: Engine, saver: CheckpointSaver | None = None) -> None:
        self.evaluator = evaluator
        self.saver = saver

    def state_dict(self) -> dict[str, Any]:
        """The evaluator's best metric and epoch, and the saver's ``(score, file)`` list when it has one."""
        state = self.evaluator.state
        record: dict[str, Any] = {
            "best_metric": float(state.best_metric),
            "best_metric_epoch": int(state.best_metric_epoch),
        }
        # MONAI's saver restores its list (load_state_dict) but only its ignite Checkpoint returns it
        checkpoint = getattr(self.saver, "_key_metric_checkpoint", None)
        if checkpoint is not None:
            record["saved"] = [(float(score), str(name)) for score, name in checkpoint.state_dict()["_saved"]]
        return record

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned (before the trainer starts)."""
        self.evaluator.state.best_metric = state_dict["best_metric"]
        self.evaluator.state.best_metric_epoch = state_dict["best_metric_epoch"]
        if self.saver is not None and "saved" in state_dict:
            self.saver.load_state_dict({"_saved": [tuple(item) for item in state_dict["saved"]]})
