"""Limits per source and per run, so that no source — a sitemap index that keeps naming new
sitemaps, a listing whose next page never ends, a site that answers very slowly — can keep a
run going past the next cron slot.

Per source (each source is one crawler): requests sent (robots.txt, retries and redirects
included), article pages fetched, link depth from the source's own URLs, and minutes. Per run
(every crawler of the crawl process together): requests, article pages and minutes. The values
come from the config's [limits] table (hsctwatch.config.LimitsConfig; 0 means no limit), as
``HSCTWATCH_LIMIT_<KEY>`` settings.

A source that reaches a limit is closed with ``limit:<key>`` as its finish reason — its crawl is
incomplete, so its validators are not saved and the next run looks again — and the run summary
names the limit. A link deeper than the depth limit is not followed; the summary says so once.
"""

from __future__ import annotations

import time
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.utils.asyncio import CallLaterResult, call_later
from scrapy.utils.defer import deferred_from_coro

from hsctwatch.config import LIMITS_KEYS
from hsctwatch.crawl.extensions import add_warning
from hsctwatch.crawl.middlewares import Skipped

ARTICLE = "hsctwatch_article"  # request meta: the request is for an article page
_PROCESS_STARTED = time.time()


class OverLimit(Skipped):
    """A request not sent because its source (or the run) reached a limit."""


class _Run:
    """What every crawler of this process has used, against the run's limits."""

    def __init__(self) -> None:
        self.requests = 0
        self.pages = 0
        self.live: set[LimitsMiddleware] = set()


_RUN = _Run()


def setting(key: str) -> str:
    return f"HSCTWATCH_LIMIT_{key.upper()}"


class LimitsMiddleware:
    """A downloader middleware next to the downloader: it sees every request that would go out."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.limit = {key: crawler.settings.getfloat(setting(key), default)
                      for key, (_, default) in LIMITS_KEYS.items()}
        self.started = crawler.settings.getfloat("HSCTWATCH_RUN_STARTED") or _PROCESS_STARTED
        self.requests = 0
        self.pages = 0
        self.stopped = ""
        self._timers: list[CallLaterResult] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LimitsMiddleware:
        middleware = cls(crawler)
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def spider_opened(self, spider: Spider) -> None:
        _RUN.live.add(self)
        if self.limit["source_minutes"]:
            self._timers.append(call_later(self.limit["source_minutes"] * 60, self.stop, "source_minutes"))
        if self.limit["run_minutes"]:
            left = self.started + self.limit["run_minutes"] * 60 - time.time()
            self._timers.append(call_later(max(0.0, left), self.stop, "run_minutes"))

    def spider_closed(self, spider: Spider) -> None:
        _RUN.live.discard(self)
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        if self.stopped:
            raise OverLimit(f"{request.url}: the source stopped at [limits] {self.stopped}")
        depth = int(request.meta.get("depth") or 0)
        if self.limit["source_depth"] and depth > self.limit["source_depth"]:
            self._count("too_deep")
            add_warning(self.stats, "links deeper than [limits] source_depth = "
                        f"{self.limit['source_depth']:g} were not followed", example=request.url)
            raise OverLimit(f"{request.url}: deeper than [limits] source_depth")
        for key, used in (("source_requests", self.requests), ("run_requests", _RUN.requests)):
            if self.limit[key] and used >= self.limit[key]:
                self._stop_for(key)
                raise OverLimit(f"{request.url}: the source stopped at [limits] {key}")
        self.requests += 1
        _RUN.requests += 1
        return None

    def process_response(self, request: Request, response: Response,
                         spider: Spider | None = None) -> Response:
        if request.meta.get(ARTICLE) and response.status == 200:
            self.pages += 1
            _RUN.pages += 1
            for key, used in (("source_pages", self.pages), ("run_pages", _RUN.pages)):
                if self.limit[key] and used >= self.limit[key]:
                    self._stop_for(key)
        return response

    def _stop_for(self, key: str) -> None:
        """A run limit stops every source of the run; a source limit, this one."""
        if key.startswith("run_"):
            for middleware in list(_RUN.live):
                middleware.stop(key)
        else:
            self.stop(key)

    def stop(self, key: str) -> None:
        """Close this source's crawl, named after the limit it reached."""
        if self.stopped:
            return
        self.stopped = key
        self._count(key)
        whose = "the run's" if key.startswith("run_") else "the source's"
        add_warning(self.stats, f"stopped at {whose} limit [limits] {key} = {self.limit[key]:g}; "
                    "what it found so far is stored, the rest waits for the next run")
        engine: Any = self.crawler.engine
        if engine is not None:
            deferred_from_coro(engine.close_spider_async(reason=f"limit:{key}"))

    @property
    def stats(self) -> Any:
        return self.crawler.stats

    def _count(self, key: str) -> None:
        self.stats.inc_value(f"hsctwatch/limits/{key}")
