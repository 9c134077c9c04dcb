"""A crawl shared by several processes, on one machine or many: scrapy-redis's scheduler and
duplicate filter in Redis, PostgreSQL the one store.

`hsct-watch run` (with `[cluster] redis`) seeds each source's queue with its spider's start
requests, announces the run, waits until every queue is drained and no worker is busy, then builds
the feeds. `hsct-watch worker` waits for runs and crawls every announced source from the shared
queues: each request is fetched once, by whichever worker pops it, and the store stage's story lock
makes the stories (pipelines/store.py).

Redis keys, under the config's prefix:
  {prefix}:run                           the current run: id, sources, state (crawling|done)
  {prefix}:worker:{id}                   a live worker (expires unless renewed)
  {prefix}:{run}:{source}:requests       the source's queue (scrapy-redis, a sorted set)
  {prefix}:{run}:{source}:dupefilter     fingerprints of requests already queued
  {prefix}:{run}:{source}:state          each worker's state for the source: busy, idle, closed
"""

from __future__ import annotations

from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy.settings import BaseSettings
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.scheduler import Scheduler
from twisted.internet.task import LoopingCall

from hsctwatch.crawl.coordination import BEAT, Keys, connect

# -- the crawl process's side -----------------------------------------------------------------


def apply_cluster(settings: BaseSettings, url: str, prefix: str, role: str, run_id: int,
                  worker: str) -> None:
    """Point a crawl at the cluster: `seed` only queues the spiders' start requests, `work` pops
    requests from the shared queues until the run is drained."""
    settings.set("REDIS_URL", url, priority="cmdline")
    settings.set("SCHEDULER", f"hsctwatch.crawl.cluster.{'Seed' if role == 'seed' else 'Shared'}Scheduler",
                 priority="cmdline")
    settings.set("SCHEDULER_PERSIST", True, priority="cmdline")  # a worker's end is not the run's
    settings.set("DUPEFILTER_CLASS", "scrapy_redis.dupefilter.RFPDupeFilter", priority="cmdline")
    settings.set("HSCTWATCH_CLUSTER_PREFIX", prefix, priority="cmdline")
    settings.set("HSCTWATCH_CLUSTER_WORKER", worker, priority="cmdline")
    settings.set("HSCTWATCH_RUN_ID", run_id, priority="cmdline")
    extensions = dict(settings.getdict("EXTENSIONS"))
    if role == "seed":  # queues requests, fetches nothing: no figures of its own to record
        extensions["hsctwatch.crawl.extensions.RunRecorder"] = None
    else:
        extensions["hsctwatch.crawl.cluster.WorkerState"] = 510
    settings.set("EXTENSIONS", extensions, priority="cmdline")


class SharedScheduler(Scheduler):
    """scrapy-redis's scheduler, with a queue and a duplicate filter per source and run (the
    spiders are named by kind, and several sources share a kind)."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedScheduler:
        scheduler = super().from_crawler(crawler)
        scheduler.crawler = crawler
        return scheduler

    def open(self, spider: Spider) -> None:
        settings = self.crawler.settings
        keys = Keys(settings.get("HSCTWATCH_CLUSTER_PREFIX"))
        run_id, source = settings.getint("HSCTWATCH_RUN_ID"), spider.source.name  # type: ignore[attr-defined]
        self.queue_key = keys.source(run_id, source, "requests")
        self.df = RFPDupeFilter(self.server, keys.source(run_id, source, "dupefilter"),
                                debug=settings.getbool("DUPEFILTER_DEBUG"))
        super().open(spider)

    # scrapy-redis's own versions count with the `spider` argument Scrapy has deprecated
    def enqueue_request(self, request: Any) -> bool:
        if not request.dont_filter and self.df.request_seen(request):
            self.df.log(request, self.spider)
            return False
        self.stats.inc_value("scheduler/enqueued/redis")
        self.queue.push(request)
        return True

    def next_request(self) -> Any:
        request = self.queue.pop(self.idle_before_close)
        if request is not None:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request


class SeedScheduler(SharedScheduler):
    """Queues the start requests in Redis and hands out none: the seeding crawl ends as soon as its
    spiders have made their start requests."""

    def next_request(self) -> None:
        return None

    def has_pending_requests(self) -> bool:
        return False


class WorkerState:
    """A worker's crawl of one source: reports whether it is busy, and keeps its spider open while
    the source's queue may still get requests (another worker is busy on it)."""

    def __init__(self, crawler: Crawler):
        settings = crawler.settings
        self.crawler = crawler
        self.client = connect(settings.get("REDIS_URL"))
        self.keys = Keys(settings.get("HSCTWATCH_CLUSTER_PREFIX"))
        self.run_id = settings.getint("HSCTWATCH_RUN_ID")
        self.worker = settings.get("HSCTWATCH_CLUSTER_WORKER")
        self.source = ""
        self.loop: LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WorkerState:
        if not crawler.settings.get("REDIS_URL"):
            raise NotConfigured("not in a cluster")
        state = cls(crawler)
        crawler.signals.connect(state.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(state.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(state.spider_closed, signal=signals.spider_closed)
        return state

    @property
    def state_key(self) -> str:
        return self.keys.source(self.run_id, self.source, "state")

    def spider_opened(self, spider: Spider) -> None:
        self.source = spider.source.name  # type: ignore[attr-defined]
        self.report()
        self.loop = LoopingCall(self.report)
        self.loop.start(BEAT / 2, now=False)

    def report(self) -> None:
        engine = self.crawler.engine
        idle = engine is None or engine.spider_is_idle()
        self.client.hset(self.state_key, self.worker, "idle" if idle else "busy")

    def spider_idle(self, spider: Spider) -> None:
        """Stay open while the queue has requests or another live worker is busy on this source:
        that worker may queue more (the links of a listing page)."""
        self.client.hset(self.state_key, self.worker, "idle")
        if int(self.client.zcard(self.keys.source(self.run_id, self.source, "requests"))):
            raise DontCloseSpider
        alive = {key.decode().rsplit(":worker:", 1)[1]
                 for key in self.client.scan_iter(match=self.keys.worker("*"), count=100)}
        for worker, state in self.client.hgetall(self.state_key).items():
            if worker.decode() != self.worker and worker.decode() in alive and state == b"busy":
                raise DontCloseSpider

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        self.client.hset(self.state_key, self.worker, "closed")
