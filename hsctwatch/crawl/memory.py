"""Giving back what loading freed: the crawl loads the near-duplicate index and the rules when its
pipelines open, and the rows and temporary arrays they were made from are freed at once, but the C
library keeps the freed memory for later (about 20 MB at 100k stored stories). Asked, glibc returns
it to the system; elsewhere this does nothing."""

from __future__ import annotations

import ctypes
import functools
import sys
from typing import Any


def release_freed_memory() -> bool:
    """Return the C library's free memory to the system (glibc's malloc_trim); False where there
    is no such call."""
    trim = _malloc_trim()
    return bool(trim(0)) if trim is not None else False


@functools.cache
def release_after_loading() -> bool:
    """`release_freed_memory`, once per process: after the first spider's pipelines loaded what
    every crawler of the process shares (the index, the rules, the model)."""
    return release_freed_memory()


@functools.cache
def _malloc_trim() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:  # the C library the process runs on, not found by name: ctypes.util.find_library runs
        # ldconfig in a child process, a copy of this one (counted again while it runs)
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # musl and others: no malloc_trim
        return None
