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
"""A progress line for long evaluations: units done of the total, passes, elapsed time and time left.

An adversarial evaluation with the strong attacks can spend minutes on one batch; MONAI's
``StatsHandler`` says nothing until the epoch ends. :class:`ProgressLog` logs through Python
``logging`` (logger ``nlcen_monai.handlers.progress_log``, shown by the bundles' ``logging.conf``) at
least once every ``interval_s`` seconds and once at the end::

    progress: 3/8 images, 1890 passes, elapsed 0:05:12, left ~0:08:40
    progress: completed 8/8 images, 5040 passes in 0:13:52

As an Ignite handler (``attach(engine)``) it counts the images of every finished batch and reads
the forward(-backward) passes the :class:`~nlcen_monai.engines.AdversarialEvaluator` has counted
for this run (``engine.state.robustness_run.passes["run"]``, the figure ``robustness.json``
reports; a plain evaluator has none and the line leaves them out). A background thread repeats
the line while a long batch runs, so a line comes every ``interval_s`` even within one batch (its
figures are then those of the batches finished so far). The total is the length of the data
loader's sampler: under ``torchrun`` with a ``DistributedSampler`` it is the rank's share of the
test set, not the whole set. Images a resumed evaluation had already recorded count as done at once,
which makes the first estimates of time left too short.

Without Ignite, a loop sets ``total`` (or calls :meth:`ProgressLog.start`), calls
:meth:`ProgressLog.update` after each unit and :meth:`ProgressLog.complete` at the end.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import torch

if TYPE_CHECKING:
    from ignite.engine import Engine

__all__ = ["ProgressLog", "format_seconds"]


def format_seconds(seconds: float) -> str:
    """``seconds`` as ``h:mm:ss`` (e.g. ``0:05:12``)."""
    whole = max(0, int(round(seconds)))
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def _engine_passes(engine: Engine) -> float | None:
    """The passes the adversarial evaluator counted in this run (None for an engine that counts none)."""
    run = getattr(engine.state, "robustness_run", None)
    passes = getattr(run, "passes", None)
    if isinstance(passes, Mapping) and "run" in passes:
        return float(passes["run"])
    return None


def _batch_size(batch: Any) -> int | None:
    """The number of items of a collated batch (a dict or sequence of tensors) or of a decollated list of dicts."""
    if isinstance(batch, torch.Tensor):
        return int(batch.shape[0]) if batch.ndim else None
    if isinstance(batch, Mapping):
        for value in batch.values():
            size = _batch_size(value)
            if size is not None:
                return size
        return None
    if isinstance(batch, Sequence) and not isinstance(batch, str) and len(batch) > 0:
        return len(batch) if isinstance(batch[0], Mapping) else _batch_size(batch[0])
    return None


def _loader_total(engine: Engine) -> int | None:
    """Units of one epoch of ``engine``: its sampler's length (a rank's share under a ``DistributedSampler``)."""
    loader = getattr(engine.state, "dataloader", None)
    sampler = getattr(loader, "sampler", None)
    try:
        total = len(sampler) if sampler is not None else len(getattr(loader, "dataset"))
    except (TypeError, AttributeError):
        return None
    epoch_length, batch_size = engine.state.epoch_length, getattr(loader, "batch_size", None)
    if epoch_length is not None and batch_size:
        total = min(total, int(epoch_length) * int(batch_size))
    return int(total)


class ProgressLog:
    """Log units done of the total, passes, elapsed time and an estimate of the time left, every ``interval_s``.

    Args:
        interval_s: the longest time between two progress lines, in seconds.
        total: the units of the whole run; None: an attached engine's data loader gives it at ``STARTED``
            (the sampler's length times the epochs: under ``torchrun``, the rank's share).
        unit: the name of a unit in the lines.
        passes_fn: reads an engine's passes so far (default: the adversarial evaluator's count, None
            for other engines); only used when attached.
        background: also log from a daemon thread while a run is under way, so a line comes every
            ``interval_s`` even while one long batch (or unit) is computed.
        clock: the time in seconds (``time.monotonic``; inject a fake one in tests).
        logger_name: the ``logging`` logger the lines go to.
    """

    def __init__(
        self,
        interval_s: float = 60.0,
        total: int | None = None,
        unit: str = "images",
        passes_fn: Callable[[Engine], float | None] = _engine_passes,
        background: bool = True,
        clock: Callable[[], float] = time.monotonic,
        logger_name: str = __name__,
    ) -> None:
        if interval_s <= 0:
            raise ValueError(f"interval_s must be > 0, got {interval_s}.")
        self.interval_s = float(interval_s)
        self.total = total
        self.unit = unit
        self.passes_fn = passes_fn
        self.background = background
        self.clock = clock
        self.logger = logging.getLogger(logger_name)
        self.done = 0
        self.passes: float | None = None
        self._started: float | None = None
        self._last_log: float | None = None
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ---- the core, usable without Ignite ---------------------------------------------------------------

    def start(self, total: int | None = None) -> None:
        """Begin timing (and, with ``background``, the repeating thread); ``total`` replaces :attr:`total` if given."""
        with self._lock:
            if total is not None:
                self.total = int(total)
            self.done, self.passes = 0, None
            self._started = self._last_log = self.clock()
        if self.background:
            self._start_thread()

    def update(self, done: int, passes: float | None = None) -> None:
        """Record ``done`` units (a running count, not an increment) and the passes so far; log if ``interval_s`` passed.

        Args:
            done: units finished so far.
            passes: forward(-backward) passes so far; None keeps the last value given.
        """
        with self._lock:
            if self._started is None:
                self._started = self._last_log = self.clock()
            self.done = int(done)
            if passes is not None:
                self.passes = float(passes)
            self._log_if_due()

    def tick(self) -> None:
        """Log the last recorded progress if ``interval_s`` passed since the last line (what the thread calls)."""
        with self._lock:
            if self._started is not None:
                self._log_if_due()

    def complete(self) -> None:
        """Stop the thread and log the final line: units done, passes and the total time."""
        self._stop_thread()
        with self._lock:
            if self._started is None:
                self._started = self.clock()
            self.logger.info(f"progress: completed {self._counts()} in {format_seconds(self.elapsed())}")
            self._last_log = self.clock()

    def elapsed(self) -> float:
        """Seconds since :meth:`start` (or the first :meth:`update`)."""
        return 0.0 if self._started is None else self.clock() - self._started

    def remaining(self) -> float | None:
        """Estimated seconds left, at the mean pace so far; None before the first unit or without a total."""
        if not self.total or self.done <= 0:
            return None
        return self.elapsed() / self.done * max(0, self.total - self.done)

    def message(self) -> str:
        """The progress line of the current state."""
        left = self.remaining()
        if left is None:
            estimate = "left: unknown until a unit is done" if self.total else "left: unknown (no total)"
        else:
            estimate = f"left ~{format_seconds(left)}"
        return f"progress: {self._counts()}, elapsed {format_seconds(self.elapsed())}, {estimate}"

    def _counts(self) -> str:
        counts = f"{self.done}/{self.total if self.total is not None else '?'} {self.unit}"
        return counts if self.passes is None else f"{counts}, {self.passes:.0f} passes"

    def _log_if_due(self) -> None:
        now = self.clock()
        if self._last_log is None or now - self._last_log >= self.interval_s:
            self.logger.info(self.message())
            self._last_log = now

    def _start_thread(self) -> None:
        self._stop_thread()
        self._stop = threading.Event()
        poll = min(1.0, self.interval_s)
        stop = self._stop

        def repeat() -> None:
            while not stop.wait(poll):
                self.tick()

        self._thread = threading.Thread(target=repeat, name="nlcen-progress-log", daemon=True)
        self._thread.start()

    def _stop_thread(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()
        self._thread = None

    # ---- Ignite ------------------------------------------------------------------------------------------

    def attach(self, engine: Engine) -> None:
        """Log the progress of ``engine``: start at ``STARTED``, count at every iteration, the final line at ``COMPLETED``.

        Args:
            engine: an Ignite engine (a MONAI evaluator or trainer).
        """
        from ignite.engine import Events

        if not engine.has_event_handler(self._started_event, Events.STARTED):
            engine.add_event_handler(Events.STARTED, self._started_event)
        if not engine.has_event_handler(self._iteration_event, Events.ITERATION_COMPLETED):
            engine.add_event_handler(Events.ITERATION_COMPLETED, self._iteration_event)
        if not engine.has_event_handler(self._completed_event, Events.COMPLETED):
            engine.add_event_handler(Events.COMPLETED, self._completed_event)
        if not engine.has_event_handler(self._stopped_event, Events.TERMINATE):
            engine.add_event_handler(Events.TERMINATE, self._stopped_event)
        if not engine.has_event_handler(self.exception_raised, Events.EXCEPTION_RAISED):
            engine.add_event_handler(Events.EXCEPTION_RAISED, self.exception_raised)

    def _started_event(self, engine: Engine) -> None:
        per_epoch = _loader_total(engine)
        total = self.total
        if total is None and per_epoch is not None:
            epochs = max(1, int(engine.state.max_epochs or 1) - int(engine.state.epoch))
            total = per_epoch * epochs
        self.start(total)
        self.passes = self.passes_fn(engine)

    def _iteration_event(self, engine: Engine) -> None:
        size = _batch_size(engine.state.batch)
        if size is None:
            size = getattr(getattr(engine.state, "dataloader", None), "batch_size", None) or 1
        self.update(self.done + int(size), self.passes_fn(engine))

    def _completed_event(self, engine: Engine) -> None:
        passes = self.passes_fn(engine)
        with self._lock:
            self.passes = self.passes if passes is None else passes
        self.complete()

    def _stopped_event(self, engine: Engine) -> None:
        self._stop_thread()

    def exception_raised(self, engine: Engine, e: Exception) -> None:
        """Stop the thread, log how far the run got, and raise ``e`` again (as MONAI's ``StatsHandler`` does).

        Ignite hands an exception to the ``EXCEPTION_RAISED`` handlers instead of raising it, and the
        first of them that raises ends the run: list this handler before a ``StatsHandler`` (its line
        carries the traceback that handler would have logged), or the thread only stops with the process.

        Args:
            engine: the engine that raised.
            e: the exception.
        """
        self._stop_thread()
        with self._lock:
            self.logger.exception(f"progress: stopped by {type(e).__name__} after {self._counts()}, "
                                  f"elapsed {format_seconds(self.elapsed())}", exc_info=e)
        raise e
