"""How long each pipeline stage takes, in the crawl's stats (hsctwatch/seconds/<stage>), so the
benchmark can show each stage's share of a crawl's cost."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def timed(stage: str) -> Callable[[F], F]:
    def wrap(process_item: F) -> F:
        @functools.wraps(process_item)
        def timed_process_item(self: Any, item: Any) -> Any:
            started = time.perf_counter()
            try:
                return process_item(self, item)
            finally:
                self.crawler.stats.inc_value(f"hsctwatch/seconds/{stage}", time.perf_counter() - started)

        return timed_process_item  # type: ignore[return-value]

    return wrap


def charge(component: Any, stage: str, seconds: float) -> None:
    """Seconds of a stage's work done apart from its process_item call (in a worker process,
    or after waiting for one)."""
    component.crawler.stats.inc_value(f"hsctwatch/seconds/{stage}", seconds)
