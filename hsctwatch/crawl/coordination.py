"""What the processes of a cluster share in Redis (the keys are listed in hsctwatch.crawl.cluster):
the run, the live workers, the queues' sizes, each worker's state per source. Nothing but redis-py
here, and that only when a cluster is used: the command line names the exception without loading
Scrapy, or needing the cluster's extras."""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

BEAT = 1.0  # seconds between a worker's reports
ALIVE = 10  # a worker not heard of for this long is gone


class ClusterUnavailable(Exception):
    """Redis cannot be reached; str() is one line naming it."""


@dataclass(frozen=True)
class Keys:
    prefix: str

    @property
    def run(self) -> str:
        return f"{self.prefix}:run"

    def worker(self, worker: str) -> str:
        return f"{self.prefix}:worker:{worker}"

    def source(self, run_id: int, source: str, what: str) -> str:
        return f"{self.prefix}:{run_id}:{source}:{what}"


def connect(url: str) -> Any:
    """A client of the cluster's Redis, checked (ClusterUnavailable if it does not answer).
    (Typed Any: redis-py's own hints mix in its asyncio client's awaitables.)"""
    try:
        import redis
    except ImportError:
        raise ClusterUnavailable("a cluster needs redis-py: pip install 'hsct-watch[cluster]'") from None
    client = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=30)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise ClusterUnavailable(f"cannot reach the cluster's Redis at {safe_redis(url)}: {exc}") from None
    return client


def safe_redis(url: str) -> str:
    """The Redis URL as it may be shown: without a password."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


# -- the run's side ---------------------------------------------------------------------------


class Coordinator:
    """What `hsct-watch run` does with the cluster: announce, watch, finish."""

    def __init__(self, url: str, prefix: str):
        self.client = connect(url)
        self.keys = Keys(prefix)

    def workers(self) -> list[str]:
        """The workers alive now."""
        found = self.client.scan_iter(match=self.keys.worker("*"), count=100)
        return sorted(key.decode().rsplit(":worker:", 1)[1] for key in found)

    def announce(self, run_id: int, sources: list[str]) -> None:
        self.client.hset(self.keys.run, mapping={"id": run_id, "sources": ",".join(sources),
                                                 "state": "crawling"})

    def queued(self, run_id: int, sources: list[str]) -> int:
        return sum(int(self.client.zcard(self.keys.source(run_id, s, "requests"))) for s in sources)

    def drained(self, run_id: int, sources: list[str]) -> bool:
        """Every queue empty, and every live worker that took a source has closed its crawl of it.

        A worker's crawl of a source closes only when the queue is empty and no other live worker
        is busy on it (WorkerState): once all have closed, none is left to queue more."""
        if self.queued(run_id, sources):
            return False
        alive = set(self.workers())
        took_part = False
        for source in sources:
            for worker, state in self.client.hgetall(self.keys.source(run_id, source, "state")).items():
                took_part = True
                if worker.decode() in alive and state != b"closed":
                    return False
        return took_part

    def finish(self, run_id: int, sources: list[str]) -> None:
        self.client.hset(self.keys.run, "state", "done")
        for source in sources:
            self.client.delete(*(self.keys.source(run_id, source, what)
                                 for what in ("requests", "dupefilter", "state")))

    def current_run(self) -> dict[str, str]:
        return {k.decode(): v.decode() for k, v in self.client.hgetall(self.keys.run).items()}

    def beat(self, worker: str) -> None:
        self.client.set(self.keys.worker(worker), str(time.time()), ex=ALIVE)


def announced(coordinator: Coordinator, done: set[str]) -> tuple[int, list[str]] | None:
    """The run a worker should take part in: announced, still crawling, not done by it yet."""
    run = coordinator.current_run()
    if run.get("state") != "crawling" or run.get("id", "") in done:
        return None
    return int(run["id"]), [s for s in run.get("sources", "").split(",") if s]
