"""Rebuilding the feeds after an editor's decision, in the background, so a click returns at once
and the published feeds are current within seconds.

Requests that arrive while a build runs are folded into one more build: ten quick approvals cost
at most two builds, and the last build always sees the last decision.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)


class FeedRebuilder:
    def __init__(self, build: Callable[[], object]):
        self._build = build
        self._cond = threading.Condition()
        self._requested = 0
        self._built = 0
        self.last_error = ""
        self.last_built_at: float | None = None
        self._thread = threading.Thread(target=self._loop, name="feed-rebuilder", daemon=True)
        self._thread.start()

    def request(self) -> int:
        """Ask for a build that includes every change committed so far; returns its number."""
        with self._cond:
            self._requested += 1
            self._cond.notify_all()
            return self._requested

    def wait(self, number: int | None = None, timeout: float = 30.0) -> bool:
        """Wait until build ``number`` (default: the last requested) is done; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            target = self._requested if number is None else number
            while self._built < target:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return True

    def _loop(self) -> None:
        while True:
            with self._cond:
                while self._built >= self._requested:
                    self._cond.wait()
                target = self._requested
            try:
                self._build()
                error = ""
            except Exception as exc:  # a failed build leaves the previous feeds in place
                log.exception("rebuilding the feeds failed")
                error = f"{type(exc).__name__}: {exc}"
            with self._cond:
                self.last_error = error
                self.last_built_at = time.time()
                self._built = target
                self._cond.notify_all()
