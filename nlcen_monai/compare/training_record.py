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
"""What a configuration's checkpoint folder holds: a finished training, a stopped one, or nothing to reuse.

The runner writes ``OUT/<name>/models/training.json`` when a training starts (its config files and
overrides, ``"finished": false``) and marks it finished when the bundle returns. A later run with the
same files and overrides can then keep the finished model, or continue a stopped training from its last
interval checkpoint (``checkpoint_epoch=N.pt``, which also carries the validation's best-model record).
Anything else, a different setting or a folder without the record, is trained from scratch.

The record keeps the time of every run of the training (``runs``: when each started, the epochs it
covered and its seconds) and their sum (``seconds``). A run that was stopped cannot report its time, so
the next one closes it: it counts up to the time of its last checkpoint (the work after that checkpoint
is lost and done again by the next run, which counts it). A run that wrote no checkpoint counts 0. A
record written before runs were recorded leaves its earlier runs' time unknown: ``null``, and so is
the sum.

The folders the run writes to (``ckpt_dir``, ``output_dir``: the runner derives them from its output
folder) are not settings of the training, so they are not compared. The paths it reads
(``dataset_dir``, ``init_checkpoint``) match when they name the same place: written alike, the same
absolute path once links are followed, or the same path relative to the record's own folder (recorded as
``locations``), so that a run folder that was moved, or is reached from another checkout or through a
link, with its data inside it, still resumes.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from nlcen_monai.utils import atomic_write_json
from nlcen_monai.workflows import interval_checkpoints

__all__ = ["TrainingRecord"]

RECORD_FILE = "training.json"
OUTPUT_PATHS = ("ckpt_dir", "output_dir")  # where the run writes: not compared
INPUT_PATHS = ("dataset_dir", "init_checkpoint")  # what it reads: compared as the place they name


def _new_run(from_epoch: int) -> dict[str, Any]:
    """A run that starts now after epoch ``from_epoch`` (its end and seconds are added when it is closed)."""
    return {"from_epoch": from_epoch, "started": datetime.now(timezone.utc).isoformat()}


def _plain(value: Any) -> Any:
    """``value`` as it reads back from JSON (tuples become lists, other objects their ``str``)."""
    return json.loads(json.dumps(value, default=str))


class TrainingRecord:
    """The ``training.json`` of one configuration's checkpoint folder.

    Args:
        ckpt_dir: the configuration's checkpoint folder (``OUT/<name>/models``).
        config_files: the bundle files of the training, in order.
        overrides: its ``{id: value}`` overrides (checkpoint and output folders included).
    """

    def __init__(self, ckpt_dir: str | os.PathLike, config_files: list[str], overrides: dict[str, Any]) -> None:
        self.ckpt_dir = Path(ckpt_dir)
        self.path = self.ckpt_dir / RECORD_FILE
        self.settings = _plain({"config_files": list(config_files), "overrides": dict(overrides)})

    def read(self) -> dict[str, Any] | None:
        """The stored record when it describes these settings, else None."""
        record = self._stored()
        return record if record is not None and not self._differences(record) else None

    def changes(self) -> list[str]:
        """What differs between the stored record and these settings, one line each; [] when they match or
        there is no record.

        Lines read ``config_files: [...] -> [...]`` or ``override <id>: <stored> -> <now>`` (``(unset)`` for an
        override only one side has), so that a user who expected a resume sees why the training starts over.
        """
        record = self._stored()
        return [] if record is None else self._differences(record)

    def _stored(self) -> dict[str, Any] | None:
        return json.loads(self.path.read_text()) if self.path.is_file() else None

    def _differences(self, record: dict[str, Any]) -> list[str]:
        stored = record.get("settings", {})
        lines = []
        if stored.get("config_files") != self.settings["config_files"]:
            lines.append(f"config_files: {stored.get('config_files')} -> {self.settings['config_files']}")
        before, now = stored.get("overrides", {}), self.settings["overrides"]
        locations = record.get("locations", {})
        for key in sorted(set(before) | set(now), key=str):
            if key in OUTPUT_PATHS:
                continue
            old, new = before.get(key, "(unset)"), now.get(key, "(unset)")
            moved = key in INPUT_PATHS and key in before and key in now
            if old != new and not (moved and self._same_place(old, locations.get(key), new)):
                lines.append(f"override {key}: {old} -> {new}")
        return lines

    def _same_place(self, stored: Any, stored_location: str | None, now: Any) -> bool:
        """Whether the stored path (and its recorded location) and the path given now name the same place."""
        if not (isinstance(stored, str) and isinstance(now, str)):
            return False
        if os.path.isabs(stored) and os.path.realpath(stored) == os.path.realpath(now):
            return True
        return stored_location is not None and stored_location == self._location(now)

    def _location(self, path: str) -> str:
        """``path`` relative to the record's folder (lexically: a link in between is kept, not followed)."""
        return os.path.relpath(os.path.abspath(path), os.path.abspath(self.ckpt_dir))

    def state(self) -> Literal["finished", "stopped", "none"]:
        """What the folder holds for these settings.

        Returns:
            ``"finished"``: a training with these settings finished and its ``model.pt`` is there (keep it);
            ``"stopped"``: one was stopped after an interval checkpoint (continue from it);
            ``"none"``: nothing to reuse (train from scratch).
        """
        record = self.read()
        if record is None:
            return "none"
        if record["finished"]:  # without its model.pt (deleted since) there is nothing to keep
            return "finished" if (self.ckpt_dir / "model.pt").is_file() else "none"
        return "stopped" if self.last_checkpoint() else "none"

    def last_checkpoint(self) -> tuple[int, Path] | None:
        """``(epoch, path)`` of the folder's newest interval checkpoint, None when there is none."""
        found = interval_checkpoints(self.ckpt_dir)
        return found[-1] if found else None

    def start(self) -> None:
        """Begin a training from scratch: drop the folder's earlier checkpoints and record these settings."""
        for _, path in interval_checkpoints(self.ckpt_dir):
            path.unlink()
        (self.ckpt_dir / "model.pt").unlink(missing_ok=True)
        self._write({"settings": self.settings, "finished": False, "runs": [_new_run(0)]})

    def resume(self) -> tuple[int, Path]:
        """Continue a stopped training: close its stopped run and record a new one from the last checkpoint.

        Returns:
            ``(epoch, path)`` of the interval checkpoint the new run continues from.

        Raises:
            ValueError: when the folder holds no stopped training of these settings (:meth:`state`).
        """
        if self.state() != "stopped":
            raise ValueError(f"{self.ckpt_dir} holds no stopped training of these settings to resume")
        epoch, last = self.last_checkpoint()
        record = self._stored()
        runs = record.get("runs") or [{"from_epoch": 0, "to_epoch": epoch, "seconds": None}]  # an older record
        stopped = runs[-1]
        if "seconds" not in stopped:  # the run that was stopped: up to its last checkpoint, if it wrote one
            wrote = epoch > stopped["from_epoch"]
            started = datetime.fromisoformat(stopped["started"]).timestamp()
            stopped["to_epoch"] = epoch if wrote else stopped["from_epoch"]
            stopped["seconds"] = round(max(last.stat().st_mtime - started, 0.0), 1) if wrote else 0.0
        self._write({**record, "runs": [*runs, _new_run(epoch)]})
        return epoch, last

    def finish(self, seconds: float) -> float | None:
        """Mark the training finished by its last run, of ``seconds``; ``seconds`` of the record is the sum
        over its runs.

        Drops the interval checkpoints older than the last (a resumed run's saver removes only its own).

        Returns:
            the seconds of all the training's runs, None when an earlier run's time is not recorded.
        """
        found = interval_checkpoints(self.ckpt_dir)
        for _, superseded in found[:-1]:
            superseded.unlink()
        record = self._stored() or {}
        runs = record.get("runs") or [_new_run(0)]
        runs[-1] = {**runs[-1], "to_epoch": found[-1][0] if found else None, "seconds": round(seconds, 1)}
        known = [run["seconds"] for run in runs]
        total = None if None in known else round(sum(known), 1)
        finished = {"finished": True, "seconds": total, "from_epoch": runs[-1]["from_epoch"], "runs": runs}
        self._write({"settings": self.settings, **finished})
        return total

    def _write(self, record: dict[str, Any]) -> None:
        overrides = self.settings["overrides"]
        locations = {k: self._location(overrides[k]) for k in INPUT_PATHS if isinstance(overrides.get(k), str)}
        atomic_write_json(self.path, {**record, "locations": locations})
