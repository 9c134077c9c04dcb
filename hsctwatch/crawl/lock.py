"""One run at a time: an advisory lock on a file in the data folder, held by the run and by the
processes it starts.

The kernel releases the lock when the holding process dies, even on ``kill -9``, so a lock
file left behind by a killed run is taken over without any staleness guesswork. A run's crawl
process inherits the lock (the same open file), so the lock lasts as long as either lives; and
it dies with its parent (:func:`die_with_parent`), so a killed run leaves nothing crawling.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import signal
import sys
import threading
import time
from pathlib import Path
from types import TracebackType

EX_TEMPFAIL = 75  # sysexits.h: "try again later"
PR_SET_PDEATHSIG = 1  # linux/prctl.h

_held: set[int] = set()


def held_descriptors() -> tuple[int, ...]:
    """The open lock files of the locks this process holds, for a child to inherit."""
    return tuple(sorted(_held))


def die_with_parent(parent: int) -> None:
    """End this process when ``parent`` ends, however it ends (``kill -9`` included).

    On Linux the kernel sends SIGKILL the moment the parent dies (prctl PR_SET_PDEATHSIG; it
    fires when the parent's thread that started this process ends, which for the command line
    is its main thread). Elsewhere a thread checks the parent once a second. Either way, a
    parent that died before this was set up is noticed at once."""
    armed = False
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            armed = libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
        except (OSError, AttributeError):
            armed = False
    if os.getppid() != parent:
        os._exit(1)  # the parent is already gone
    if not armed:
        threading.Thread(target=_watch_parent, args=(parent,), name="parent-watch", daemon=True).start()


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


class AlreadyRunning(Exception):
    pass


class RunLock:
    def __init__(self, folder: Path, name: str = "hsct-watch.lock"):
        self.path = Path(folder) / name
        self._fd: int | None = None

    def acquire(self) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode("ascii", "replace").strip()
            os.close(fd)
            raise AlreadyRunning(
                f"another hsct-watch run holds {self.path}"
                + (f" (pid {holder})" if holder else "")
                + "; this run stops here"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        _held.add(fd)
        return self

    def release(self) -> None:
        if self._fd is not None:
            _held.discard(self._fd)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()
