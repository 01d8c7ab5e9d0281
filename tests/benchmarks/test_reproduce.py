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
"""benchmarks/reproduce.sh: runs started together into one output folder convert the data once.

A run that finds the conversion lock (``OUT/.data_<size>.lock``) held waits for it, and once the holder
has written the datalist it uses that data instead of converting again into the half-written folder.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

from tests.benchmarks.test_reproduce_baselines import REPO, write_png_cases


def _descendant_commands(pid: int) -> list[str]:
    """The command names of every live descendant of ``pid`` (from ``/proc``)."""
    parents: dict[int, tuple[int, str]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # the process ended while we listed
            continue
        comm = text[text.index("(") + 1 : text.rindex(")")]
        parents[int(stat.parent.name)] = (int(text[text.rindex(")") + 2 :].split()[1]), comm)
    found, frontier = [], {pid}
    while frontier:
        frontier = {child for child, (parent, _) in parents.items() if parent in frontier}
        found += [parents[child][1] for child in frontier]
    return found


@unittest.skipUnless(shutil.which("flock") and Path("/proc/self/stat").exists(), "needs flock(1) and /proc")
class TestReproduceDataLock(unittest.TestCase):
    def test_waits_for_the_conversion_of_another_run(self):
        with tempfile.TemporaryDirectory() as tmp:
            png, out = Path(tmp) / "png", Path(tmp) / "out"
            write_png_cases(png, 6)
            data = out / "data_32"
            env = {**os.environ, "PYTHON": sys.executable, "OMP_NUM_THREADS": "1"}
            out.mkdir()
            with open(out / ".data_32.lock", "w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)  # another run is converting
                waiting = subprocess.Popen(
                    ["bash", "benchmarks/reproduce.sh", "--dataset", "jsrt", "--prepare-only", "--size", "32",
                     "--data-dir", str(png), "--out", str(out)],
                    cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                )
                deadline = time.monotonic() + 120
                while "flock" not in _descendant_commands(waiting.pid) and waiting.poll() is None:
                    self.assertLess(time.monotonic(), deadline, "reproduce.sh neither waited nor ended")
                    time.sleep(0.05)
                if waiting.poll() is not None:
                    self.fail("reproduce.sh did not wait for the lock:\n" + waiting.stdout.read()[-2000:])
                self.assertFalse(data.exists())
                # the other run's conversion, while the lock is held
                converted = subprocess.run(
                    [sys.executable, "data_prep/jsrt.py", "--png-dir", str(png), "--out", str(data), "--size", "32"],
                    cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
                )
                self.assertEqual(converted.returncode, 0, converted.stderr[-2000:])
                written = (data / "datalist.json").stat().st_mtime_ns
                fcntl.flock(lock, fcntl.LOCK_UN)
                output, _ = waiting.communicate(timeout=120)
            self.assertEqual(waiting.returncode, 0, output[-2000:])
            self.assertIn(f"data ready: {data}", output)
            self.assertNotIn("cases processed", output)  # used the other run's data, did not convert again
            self.assertEqual((data / "datalist.json").stat().st_mtime_ns, written)


if __name__ == "__main__":
    unittest.main()
