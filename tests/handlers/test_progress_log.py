"""Tests for ProgressLog: a line every interval (fake clock), its figures, the final line, and on an evaluator."""

from __future__ import annotations

import logging
import sys
import time
import unittest
from pathlib import Path

from parameterized import parameterized

from nlcen_monai.engines import AdversarialEvaluator
from nlcen_monai.handlers import ProgressLog
from nlcen_monai.handlers.progress_log import format_seconds

sys.path.insert(0, str(Path(__file__).resolve().parent))
from handler_utils import CountingThresholdNet, loader  # noqa: E402

LOGGER = "nlcen_monai.handlers.progress_log"

SECONDS_CASES = [(0, "0:00:00"), (59.6, "0:01:00"), (312, "0:05:12"), (3 * 3600 + 7, "3:00:07"), (-1, "0:00:00")]


class FakeClock:
    """A clock that moves only when told."""

    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class TestProgressLog(unittest.TestCase):
    def progress(self, **kwargs):
        clock = FakeClock()
        return ProgressLog(interval_s=60, clock=clock, background=False, **kwargs), clock

    @parameterized.expand(SECONDS_CASES)
    def test_format_seconds(self, seconds, text):
        self.assertEqual(format_seconds(seconds), text)

    def test_logs_when_the_interval_passed_not_before(self):
        progress, clock = self.progress(total=8)
        with self.assertLogs(LOGGER, "INFO") as logs:
            progress.start()
            clock.now += 59
            progress.update(1, passes=100)
            logging.getLogger(LOGGER).info("marker")  # assertLogs needs a line even if the handler wrote none
            self.assertEqual(len(logs.output), 1)
            clock.now += 1
            progress.update(2, passes=250)
            self.assertEqual(len(logs.output), 2)
            clock.now += 30
            progress.tick()  # what the background thread calls: not due yet
            self.assertEqual(len(logs.output), 2)
            clock.now += 30
            progress.tick()  # due: the last recorded figures again
            self.assertEqual(len(logs.output), 3)
        self.assertIn("progress: 2/8 images, 250 passes, elapsed 0:01:00, left ~0:03:00", logs.output[1])
        self.assertIn("progress: 2/8 images, 250 passes, elapsed 0:02:00", logs.output[2])

    def test_message_without_passes_total_or_units_done(self):
        progress, clock = self.progress(unit="corruptions")
        progress.start()
        clock.now += 5
        self.assertEqual(progress.message(), "progress: 0/? corruptions, elapsed 0:00:05, left: unknown (no total)")
        progress.total = 4
        self.assertIn("0/4 corruptions, elapsed 0:00:05, left: unknown until a unit is done", progress.message())
        progress.update(1)
        self.assertIn("1/4 corruptions, elapsed 0:00:05, left ~0:00:15", progress.message())

    def test_completed_line(self):
        progress, clock = self.progress(total=3)
        progress.start()
        progress.update(3, passes=30)
        clock.now += 125
        with self.assertLogs(LOGGER, "INFO") as logs:
            progress.complete()
        self.assertEqual(logs.output, [f"INFO:{LOGGER}:progress: completed 3/3 images, 30 passes in 0:02:05"])

    def test_refuses_a_non_positive_interval(self):
        with self.assertRaisesRegex(ValueError, "interval_s"):
            ProgressLog(interval_s=0)

    def test_background_thread_logs_during_a_long_unit(self):
        progress = ProgressLog(interval_s=0.05, total=2)  # the real clock: a few tenths of a second
        with self.assertLogs(LOGGER, "INFO") as logs:
            progress.start()
            deadline = time.monotonic() + 5
            while len(logs.output) < 2 and time.monotonic() < deadline:  # no update: only the thread logs
                time.sleep(0.02)
            progress.complete()
        self.assertGreaterEqual(len(logs.output), 2)
        self.assertIn("progress: 0/2 images", logs.output[0])
        self.assertIsNone(progress._thread)


class TestProgressLogOnEvaluator(unittest.TestCase):
    def test_counts_images_and_the_evaluators_passes(self):
        progress = ProgressLog(interval_s=3600, background=False)
        evaluator = AdversarialEvaluator("cpu", loader(4), CountingThresholdNet(), epsilons=[2, 4],
                                         val_handlers=[progress])
        with self.assertLogs(LOGGER, "INFO") as logs:
            evaluator.run()
        passes = evaluator.state.robustness_run.passes["run"]
        self.assertGreater(passes, 0)
        self.assertEqual((progress.total, progress.done), (4, 4))  # the loader's 4 images, in batches of 2
        self.assertEqual(len(logs.output), 1)  # only the final line: the interval never passed
        self.assertIn(f"progress: completed 4/4 images, {passes:.0f} passes in ", logs.output[0])

    def test_an_exception_is_logged_and_raised(self):
        def broken(*args, **kwargs):
            raise RuntimeError("broken batch")

        progress = ProgressLog(interval_s=3600, background=False)
        evaluator = AdversarialEvaluator("cpu", loader(2), CountingThresholdNet(), epsilons=[2], val_handlers=[progress],
                                         prepare_batch=broken)
        with self.assertLogs(LOGGER, "INFO") as logs, self.assertRaisesRegex(RuntimeError, "broken batch"):
            evaluator.run()
        self.assertIn("progress: stopped by RuntimeError after 0/2 images", logs.output[-1])


if __name__ == "__main__":
    unittest.main()
