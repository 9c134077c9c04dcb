"""The two commands of a cluster: `hsct-watch run` seeding and waiting (crawl_on_cluster), and
`hsct-watch worker` crawling (work). What they share in Redis is in hsctwatch.crawl.cluster."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from types import FrameType

from hsctwatch.config import Config
from hsctwatch.crawl.coordination import (
    ALIVE,
    BEAT,
    ClusterUnavailable,
    Coordinator,
    announced,
    safe_redis,
    worker_id,
)
from hsctwatch.crawl.runner import start_crawl

STOP_WAIT = 60  # seconds a stopping worker gives its crawl to close before killing it


def crawl_on_cluster(config: Config, run_id: int, sources: list[str], verbose: bool,
                     progress: Callable[[], None]) -> int:
    """Seed the sources' queues, announce the run, and wait until the workers have drained them.
    Returns the seeding crawl's exit status (0 when it worked)."""
    coordinator = Coordinator(config.cluster.redis, config.cluster.prefix)
    if not coordinator.workers():
        raise ClusterUnavailable(f"no worker is running for the cluster's Redis at "
                                 f"{safe_redis(config.cluster.redis)}: start `hsct-watch worker`")
    seed = start_crawl(config, run_id, sources, verbose=verbose, cluster=("--cluster", "seed"))
    if seed.wait():
        return seed.returncode
    coordinator.announce(run_id, sources)
    alone_since: float | None = None
    try:
        while not coordinator.drained(run_id, sources):
            time.sleep(BEAT / 2)
            progress()
            if coordinator.workers():
                alone_since = None
            elif alone_since is None:
                alone_since = time.monotonic()
            elif time.monotonic() - alone_since > 3 * ALIVE:
                raise ClusterUnavailable("every worker of the cluster stopped before the run was done; "
                                         "start `hsct-watch worker` and run again")
    finally:
        coordinator.finish(run_id, sources)
    return 0


def work(config: Config, *, once: bool = False, echo: Callable[[str], None] = print) -> None:
    """Take part in every run announced, until stopped (SIGTERM, Ctrl-C); with `once`, in one."""
    coordinator = Coordinator(config.cluster.redis, config.cluster.prefix)
    me = worker_id()
    done: set[str] = set()
    child: subprocess.Popen[bytes] | None = None
    stopping: float | None = None  # when asked to stop

    def stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = stopping or time.monotonic()
        if child is not None and child.poll() is None:
            child.send_signal(signal.SIGTERM)  # Scrapy closes the spiders cleanly

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    echo(f"worker {me}: waiting for runs on the cluster's Redis at {safe_redis(config.cluster.redis)}")
    while stopping is None:
        coordinator.beat(me)
        run = announced(coordinator, done)
        if run is None:
            time.sleep(BEAT / 2)
            continue
        run_id, sources = run
        known = {source.name for source in config.sources}
        mine = [name for name in sources if name in known]
        if mine != sources:
            echo(f"worker {me}: run {run_id}: not in this worker's config: "
                 f"{', '.join(sorted(set(sources) - known))}")
        echo(f"worker {me}: run {run_id}: crawling {len(mine)} source(s)")
        child = start_crawl(config, run_id, mine, cluster=("--cluster", "work", "--worker", me))
        while child.poll() is None:
            coordinator.beat(me)
            time.sleep(BEAT / 2)
            if stopping is not None and time.monotonic() - stopping > STOP_WAIT:
                child.kill()  # it did not close in time
        echo(f"worker {me}: run {run_id}: done (exit status {child.returncode})")
        done.add(str(run_id))
        child = None
        if once:
            break
    sys.stdout.flush()
