"""Downloader middlewares: robots.txt's Crawl-delay, retries with backoff, and conditional
requests across runs — a feed, sitemap, listing or page that has not changed since the last
complete run costs a 304.

Validators (ETag, Last-Modified) are kept in the store, not in one run's JOBDIR, and are saved
only when a source's crawl finishes: a run killed half-way has not processed what it fetched,
so the next run must fetch it again in full.
"""

from __future__ import annotations

import asyncio
from typing import Any

from protego import Protego
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response
from scrapy.utils.httpobj import urlparse_cached
from sqlalchemy import text

from hsctwatch.crawl.storage import required_store
from hsctwatch.stories.models import Store, Validator, utcnow

UNCONDITIONAL = "hsctwatch_unconditional"


class Skipped(IgnoreRequest):
    """A request dropped on purpose and accounted for elsewhere (a 304, a limit, a refused
    address): the spiders' errbacks pass it by instead of reporting a failure."""


class NotModified(Skipped):
    """The server answered 304: nothing changed since the last complete run."""


class ConditionalRequestsMiddleware:
    def __init__(self, crawler: Crawler, store: Store):
        self.crawler = crawler
        self.store = store
        self.seen: dict[str, tuple[str, str]] = {}
        # whether the store has any validators: a first crawl's store has none, and its requests
        # need not be looked up one by one (they are saved when a source's crawl ends)
        self.any_saved: bool | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalRequestsMiddleware:
        if not crawler.settings.getbool("HSCTWATCH_CONDITIONAL_REQUESTS", True):
            raise NotConfigured("conditional requests are switched off")
        middleware = cls(crawler, required_store(crawler))
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        if request.method != "GET" or request.meta.get(UNCONDITIONAL) or request.meta.get(
                "dont_obey_robotstxt"):
            return None
        if self.any_saved is None:
            with self.store.engine.connect() as connection:
                self.any_saved = connection.execute(_ANY_VALIDATOR).first() is not None
        if not self.any_saved:
            return None
        with self.store.engine.connect() as connection:  # a read: no ORM session needed
            row = connection.execute(_VALIDATOR, {"url": request.url}).first()
        if row is None:
            return None
        etag, last_modified = str(row[0] or ""), str(row[1] or "")
        if etag and b"If-None-Match" not in request.headers:
            request.headers[b"If-None-Match"] = etag.encode("latin-1")
        if last_modified and b"If-Modified-Since" not in request.headers:
            request.headers[b"If-Modified-Since"] = last_modified.encode("latin-1")
        return None

    def process_response(self, request: Request, response: Response,
                         spider: Spider | None = None) -> Response:
        if response.status == 304 and (b"If-None-Match" in request.headers
                                       or b"If-Modified-Since" in request.headers):
            self.crawler.stats.inc_value("hsctwatch/not_modified")
            raise NotModified(f"{request.url}: not modified since the last run")
        if response.status == 200 and request.method == "GET" and not request.meta.get(UNCONDITIONAL):
            etag = _header(response, b"ETag")
            last_modified = _header(response, b"Last-Modified")
            if etag or last_modified:
                self.seen[request.url] = (etag, last_modified)
        return response

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if reason != "finished" or not self.seen:
            return
        now = utcnow()
        rows = [{"url": url, "etag": etag, "last_modified": last_modified, "checked_at": now}
                for url, (etag, last_modified) in self.seen.items()]
        with self.store.session() as session:
            upsert = _upsert(self.store.engine.dialect.name)
            if upsert is not None:  # one statement for all, safe beside a crawl saving the same URL's
                session.execute(upsert, rows)
            else:
                for row in rows:
                    session.merge(Validator(**row))
        self.seen.clear()


#: A URL's saved validators (`session.get(Validator, url)`), as plain SQL made once
_VALIDATOR = text(f"SELECT etag, last_modified FROM {Validator.__tablename__} WHERE url = :url")
_ANY_VALIDATOR = text(f"SELECT 1 FROM {Validator.__tablename__} LIMIT 1")


def _upsert(dialect: str) -> Any:
    """INSERT … ON CONFLICT (url) DO UPDATE for the validators, in the store's dialect (None
    for a database without one)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql as sql
    elif dialect == "sqlite":
        from sqlalchemy.dialects import sqlite as sql  # type: ignore[no-redef]
    else:
        return None
    statement = sql.insert(Validator)
    return statement.on_conflict_do_update(
        index_elements=[Validator.url],
        set_={name: statement.excluded[name] for name in ("etag", "last_modified", "checked_at")})


def _header(response: Response, name: bytes) -> str:
    value: Any = response.headers.get(name)
    return value.decode("latin-1")[:500] if value else ""


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retries (5xx, timeouts, resets), each one waiting longer than the last:
    HSCTWATCH_RETRY_BACKOFF seconds, then twice that, and so on, up to a minute.

    The wait is an asyncio sleep (the project runs on the asyncio reactor), so other requests go
    on meanwhile.
    """

    def __init__(self, settings: Any):
        super().__init__(settings)
        self.backoff = settings.getfloat("HSCTWATCH_RETRY_BACKOFF", 2.0)

    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Request | Response:
        result = super().process_response(request, response)
        if isinstance(result, Request):
            await self._wait(result)
        return result

    async def process_exception(  # type: ignore[override]
        self, request: Request, exception: Exception, spider: Spider | None = None
    ) -> Request | Response | None:
        result = super().process_exception(request, exception)
        if isinstance(result, Request):
            await self._wait(result)
        return result

    async def _wait(self, retry: Request) -> None:
        attempt = int(retry.meta.get("retry_times", 1))
        await asyncio.sleep(min(60.0, self.backoff * 2 ** (attempt - 1)))


class CrawlDelayMiddleware:
    """Honours robots.txt's Crawl-delay, which Scrapy reads but does not apply.

    Each robots.txt answer that passes by (Scrapy's RobotsTxtMiddleware fetches it through the
    downloader) is read with Protego, Scrapy's own robots parser; requests to that host are then
    spaced at least that far apart, on top of DOWNLOAD_DELAY and AutoThrottle.
    """

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.user_agent = crawler.settings.get("USER_AGENT", "")
        self.max_delay = crawler.settings.getfloat("HSCTWATCH_MAX_CRAWL_DELAY", 60.0)
        self.delays: dict[str, float] = {}
        self.next_allowed: dict[str, float] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlDelayMiddleware:
        if not crawler.settings.getbool("ROBOTSTXT_OBEY"):
            raise NotConfigured("robots.txt is not obeyed")
        return cls(crawler)

    async def process_request(self, request: Request, spider: Spider | None = None) -> None:
        host = urlparse_cached(request).netloc
        delay = self.delays.get(host)
        if not delay:
            return None
        loop = asyncio.get_running_loop()
        now = loop.time()
        start = max(now, self.next_allowed.get(host, now))
        self.next_allowed[host] = start + delay
        if start > now:
            self.crawler.stats.inc_value("hsctwatch/crawl_delay/waits")
            await asyncio.sleep(start - now)
        return None

    def process_response(self, request: Request, response: Response,
                         spider: Spider | None = None) -> Response:
        if response.status == 200 and urlparse_cached(request).path == "/robots.txt":
            robots = Protego.parse(response.body.decode("utf-8", "replace"))
            delay = robots.crawl_delay(self.user_agent) or robots.crawl_delay("*")
            if delay:
                self.delays[urlparse_cached(request).netloc] = min(float(delay), self.max_delay)
                self.crawler.stats.set_value("hsctwatch/crawl_delay/seconds", float(delay))
        return response
