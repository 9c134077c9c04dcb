"""A second process for the heaviest pure work of the pipelines, so that a crawl uses a second
CPU core while the first downloads, parses and stores: the extract stage has the worker read
the page (trafilatura) and, while at it, judge the story it will most likely make (relevance,
tags, near-duplicate signature). The judgement travels on the item (hsctwatch.crawl.items.
Judgement); the later stages take it if their document and rules are the same.

Only inside a running crawl (an asyncio event loop) and on a machine with more than one core;
the setting HSCTWATCH_WORKERS says how many worker processes (0: none), started once a crawl
has more than a few pages to read (START_AFTER). Called directly, as the tests do, a pipeline
works in its own process as before; either way the same functions give the same results.

This process reads a page itself only when the worker has pages waiting and this process has had
less to do than the worker (`_Balance`): the crawl's own later stages (dedup, store) and Scrapy
keep it busy too, and a page read here while they wait leaves the second core idle. Should the
worker fail to start or die, this process does all the work again. The worker's log records go
to this process's log.

The worker imports only what reading and judging a page needs (no Scrapy, no SQLAlchemy): each
process holds its own copy of what it imports. The crawl's process is started as a package's
__main__ (hsctwatch/crawl/__main__.py) so that the worker does not import it again.
"""

from __future__ import annotations

import asyncio
import atexit
import functools
import logging
import logging.handlers
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from hsctwatch.crawl.memory import release_after_loading

log = logging.getLogger(__name__)

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None
_listener: logging.handlers.QueueListener | None = None
_off = False  # no worker: switched off, failed to start or broke
_waiting = 0  # calls sent to the worker and not done
_QUEUE = 12  # calls waiting for each worker before this process may read a page itself
#: Pages this process reads before a worker is started: starting one costs about two CPU seconds
#: (its imports) and a process holding its own copy of them, more than a few pages are worth.
#: A run that finds a handful of new pages reads them here.
START_AFTER = 16
_offered = 0  # pages offered before the worker started
_MOST = 64  # calls waiting for each worker at most (Scrapy's own limit on the pages in its
# pipelines, 5 MB of responses, usually stops well before)


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
    running event loop, no worker, or the worker has pages waiting while this process has time
    to spare (`_Balance`)."""
    global _waiting, _offered
    if workers < 1 or _off:
        return None
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return None
    if _pool is None and _offered < START_AFTER:
        _offered += 1
        return None
    if _waiting >= _QUEUE * workers and (_waiting >= _MOST * workers or _balance.here_has_time(workers)):
        return None
    pool = _start(workers)
    if pool is None:
        return None
    try:
        sent = pool.submit(_call, function, args)
    except RuntimeError:  # broken, or shut down at exit
        stop()
        return None
    with _lock:
        _waiting += 1
    result: Future[Any] = Future()
    sent.add_done_callback(functools.partial(_done, result))
    return asyncio.wrap_future(result, loop=loop)


def _call(function: Callable[..., Any], args: tuple[Any, ...]) -> tuple[Any, int, float]:
    """In the worker: the call's result, with the worker's process id and CPU seconds so far.
    The first call loads what reading and judging need (the rules, the language model,
    trafilatura); what it leaves is then settled, once (`release_after_loading`)."""
    value = function(*args)
    release_after_loading()
    return value, os.getpid(), time.process_time()


def _done(result: Future[Any], sent: Future[tuple[Any, int, float]]) -> None:
    global _waiting
    with _lock:
        _waiting -= 1
    try:
        value, pid, cpu = sent.result()
    except BaseException as exc:  # noqa: BLE001 — the caller gets it (BrokenProcessPool …)
        result.set_exception(exc)
        return
    _balance.worked(pid, cpu)
    result.set_result(value)


class _Balance:
    """Which process has time to spare: the CPU seconds this process and the workers used over
    the last second or so, compared. The one that used clearly less (MARGIN) was waiting for the
    other; on a machine busy with other work too both get less, and the margin keeps the chance
    ups and downs of sharing the cores from passing for time to spare."""

    WINDOW = 1.0  # seconds
    MARGIN = 0.8  # this process helps when it used less than this share of a worker's CPU

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.workers: dict[int, float] = {}  # each worker's CPU seconds, as last reported
        self.started = time.monotonic()
        self.here = time.process_time()
        self.there = 0.0
        self.verdict = False

    def worked(self, pid: int, cpu: float) -> None:
        with self.lock:
            if pid not in self.workers:  # what it used before: starting, importing
                self.there += cpu
            self.workers[pid] = cpu

    def here_has_time(self, workers: int) -> bool:
        """This process used clearly less CPU than each worker on average, over the last window."""
        now = time.monotonic()
        with self.lock:
            if now - self.started >= self.WINDOW:
                here, there = time.process_time(), sum(self.workers.values())
                self.verdict = here - self.here < self.MARGIN * (there - self.there) / max(1, workers)
                self.started, self.here, self.there = now, here, there
            return self.verdict


_balance = _Balance()


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
                                        initargs=(records, handled_level(), os.getpid()))
            log.info("pages are read in %d worker process(es)", workers)
        except (OSError, ValueError) as exc:
            log.warning("no worker process (%s): extracting in the crawl's own process", exc)
            _off = True
            return None
    atexit.register(stop)
    return _pool


def handled_level() -> int:
    """The lowest level of a record that a handler of this process takes: the worker makes
    no record below it, since each one is sent here to be handled. Scrapy leaves the root
    logger at NOTSET and sets LOG_LEVEL on its handler; without this, every debug line
    trafilatura writes for a page would be made, pickled and sent, to be dropped here. The
    handlers that only swallow records (a library's NullHandler) take none."""
    root = logging.getLogger()
    loggers = [root, *(each for each in logging.Logger.manager.loggerDict.values()
                       if isinstance(each, logging.Logger))]
    levels = [handler.level for logger in loggers for handler in logger.handlers
              if not isinstance(handler, logging.NullHandler)]
    return max(root.getEffectiveLevel(), min(levels, default=logging.NOTSET))


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
