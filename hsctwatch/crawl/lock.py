"""One run at a time: an advisory lock on a file in the data folder.

The kernel releases the lock when the holding process dies, even on ``kill -9``, so a lock
file left behind by a killed run is taken over without any staleness guesswork.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType

EX_TEMPFAIL = 75  # sysexits.h: "try again later"


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
        return self

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()
