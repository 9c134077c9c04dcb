"""A second process for the heaviest pure work of the pipelines, so that a crawl uses a second
CPU core while the first downloads, parses and stores: the extract stage has the worker read
the page (trafilatura) and, while at it, judge the story it will most likely make (relevance,
tags, near-duplicate signature). The judgement travels on the item (hsctwatch.crawl.items.
Judgement); the later stages take it if their document and rules are the same.

Only inside a running crawl (an asyncio event loop) and on a machine with more than one core;
the setting HSCTWATCH_WORKERS says how many worker processes (0: none). Called directly, as the
tests do, a pipeline works in its own process as before; either way the same functions give the
same results. When the worker has enough pages waiting, this process reads the next one itself;
should the worker fail to start or die, this process does all the work again. The worker's log
records go to this process's log.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import logging.handlers
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

log = logging.getLogger(__name__)

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None
_listener: logging.handlers.QueueListener | None = None
_off = False  # no worker: switched off, failed to start or broke
_waiting = 0  # calls sent to the worker and not done
_QUEUE = 12  # calls waiting for each worker at most


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def workers_wanted(setting: int | None) -> int:
    """HSCTWATCH_WORKERS, else one worker on a machine with more than one core."""
    return max(0, setting) if setting is not None else (1 if cores() > 1 else 0)


def offload(workers: int, function: Callable[..., Any], *args: Any) -> asyncio.Future[Any] | None:
    """`function(*args)` in a worker process; None when the caller should do it itself: no
    running event loop, no worker, or the worker has enough waiting (then this process helps,
    and pages do not pile up in memory)."""
    global _waiting
    if workers < 1 or _off or _waiting >= _QUEUE * workers:
        return None
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return None
    pool = _start(workers)
    if pool is None:
        return None
    try:
        future = pool.submit(function, *args)
    except RuntimeError:  # broken, or shut down at exit
        stop()
        return None
    with _lock:
        _waiting += 1
    future.add_done_callback(_done)
    return asyncio.wrap_future(future, loop=loop)


def _done(_: Any) -> None:
    global _waiting
    with _lock:
        _waiting -= 1


def stop() -> None:
    """No more work in the worker: it broke (or the process ends)."""
    global _pool, _listener, _off
    with _lock:
        _off = True
        pool, listener, _pool, _listener = _pool, _listener, None, None
    if pool is not None:
        pool.shutdown(wait=False, cancel_futures=True)
    if listener is not None:
        listener.stop()


def _start(workers: int) -> ProcessPoolExecutor | None:
    global _pool, _listener, _off
    with _lock:
        if _pool is not None or _off:
            return _pool
        try:
            context = multiprocessing.get_context("spawn")  # no fork of a process with threads
            records: Any = context.Queue()
            _listener = logging.handlers.QueueListener(records, _ToLogger())
            _listener.start()
            _pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker,
                                        initargs=(records, logging.getLogger().getEffectiveLevel(),
                                                  os.getpid()))
            log.info("pages are read in %d worker process(es)", workers)
        except (OSError, ValueError) as exc:
            log.warning("no worker process (%s): extracting in the crawl's own process", exc)
            _off = True
            return None
    atexit.register(stop)
    return _pool


def _init_worker(records: Any, level: int, crawl: int) -> None:
    from hsctwatch.crawl.lock import die_with_parent

    die_with_parent(crawl)  # a crawl killed outright takes its worker with it
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the crawl, which stops the worker
    root = logging.getLogger()
    root.handlers[:] = [logging.handlers.QueueHandler(records)]
    root.setLevel(level)


class _ToLogger(logging.Handler):
    """A worker's log record, handled by the logger of the same name here."""

    def emit(self, record: logging.LogRecord) -> None:
        logging.getLogger(record.name).handle(record)
