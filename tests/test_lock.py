"""One run at a time: the lock is real (another process holds it), and dies with its holder."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from hsctwatch.crawl.lock import AlreadyRunning, RunLock

HOLD = """
import sys, time
from hsctwatch.crawl.lock import RunLock
lock = RunLock(sys.argv[1]).acquire()
print("locked", flush=True)
time.sleep(60)
"""


def hold_lock(folder: Path) -> subprocess.Popen[str]:
    child = subprocess.Popen([sys.executable, "-c", HOLD, str(folder)], stdout=subprocess.PIPE,
                             text=True)
    assert child.stdout is not None and child.stdout.readline().strip() == "locked"
    return child


def test_second_holder_is_refused_while_the_first_lives(tmp_path: Path) -> None:
    child = hold_lock(tmp_path)
    try:
        with pytest.raises(AlreadyRunning, match=rf"pid {child.pid}"):
            RunLock(tmp_path).acquire()
    finally:
        child.kill()
        child.wait()


def test_lock_of_a_killed_run_is_taken_over(tmp_path: Path) -> None:
    child = hold_lock(tmp_path)
    child.kill()  # SIGKILL: no cleanup; the lock file stays behind
    child.wait()
    assert (tmp_path / "hsct-watch.lock").exists()
    deadline = time.monotonic() + 5
    while True:
        try:
            with RunLock(tmp_path):
                break
        except AlreadyRunning:
            assert time.monotonic() < deadline
            time.sleep(0.05)
