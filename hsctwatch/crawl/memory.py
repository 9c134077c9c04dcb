"""After loading: the crawl loads the near-duplicate index and the rules when its pipelines open,
and the rows and temporary arrays they were made from are freed at once, but the C library keeps
the freed memory for later (about 20 MB at 100k stored stories). Asked, glibc returns it to the
system; elsewhere that does nothing.

What was loaded stays for the whole crawl (the rules' compiled terms, the learned model, the
imported modules), and Python's cyclic garbage collector walked all of it again at each full
collection; a collection of the youngest objects came every 700 allocations, most of them of
objects a page makes and frees by itself. Together about a twentieth of a crawl's CPU
(`gc.callbacks` in a crawl of 2,000 pages of bench/run.py's web: 2.1 of 46.6 CPU s); after
`settle_collector`, 0.7 of 45.3, half of it before the crawl had loaded.
"""

from __future__ import annotations

import ctypes
import functools
import gc
import sys
from typing import Any


def release_freed_memory() -> bool:
    """Return the C library's free memory to the system (glibc's malloc_trim); False where there
    is no such call."""
    trim = _malloc_trim()
    return bool(trim(0)) if trim is not None else False


@functools.cache
def release_after_loading() -> bool:
    """`settle_collector` and `release_freed_memory`, once per process: in the crawl's, after the
    first spider's pipelines loaded what every crawler of the process shares (the index, the
    rules, the model); in its worker, after the first page it read and judged."""
    settle_collector()
    return release_freed_memory()


#: Objects made and not yet freed between collections of the youngest, once loaded (Python's
#: default: 700), though most of what a page makes is freed by the page itself. Garbage in cycles
#: may wait that many objects longer (a few MB); the older generations keep Python's pace,
#: counted in collections of the youngest.
YOUNG_COLLECTION = 10_000


def settle_collector() -> None:
    """After loading: collect the garbage, leave every object there is out of the collector's
    later collections (gc.freeze: they are still freed when nothing refers to them; only a cycle
    among them would stay, and what was loaded stays anyway), and collect the youngest objects
    every YOUNG_COLLECTION allocations."""
    gc.collect()
    gc.freeze()
    young, middle, old = gc.get_threshold()
    gc.set_threshold(max(young, YOUNG_COLLECTION), middle, old)


@functools.cache
def _malloc_trim() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:  # the C library the process runs on, not found by name: ctypes.util.find_library runs
        # ldconfig in a child process, a copy of this one (counted again while it runs)
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # musl and others: no malloc_trim
        return None
