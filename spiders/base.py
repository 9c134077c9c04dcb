"""What every source kind shares: reading its source from the config, fetching an article
page, turning what a source said about an entry into an Article, and reporting failures.

A concrete spider says how to find articles (a feed, a sitemap, an API, listing pages) and
hands each one to :meth:`SourceSpider.article_request` or :meth:`SourceSpider.article_item`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from sqlalchemy import select
from twisted.python.failure import Failure

from hsctwatch.config import ConfigError, SourceConfig, load_config
from hsctwatch.crawl.extensions import add_warning, printable
from hsctwatch.crawl.items import Article
from hsctwatch.crawl.limits import ARTICLE
from hsctwatch.crawl.middlewares import Skipped
from hsctwatch.crawl.storage import crawl_store
from hsctwatch.dates import parse_date
from hsctwatch.stories.models import Copy, SourceRun
from hsctwatch.urls import url_key

ERRORS_STAT = "hsctwatch/errors"
MESSAGES_STAT = "hsctwatch/error_messages"
SKIPPED_LINKS_STAT = "hsctwatch/skipped_links"
MAX_MESSAGES = 20


class SourceSpider(scrapy.Spider):
    """Base of the generic spiders. ``name`` is the kind; the source comes from ``-a source=``."""

    kind: ClassVar[str] = ""
    source: SourceConfig

    def __init__(self, source: str | None = None, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.source_name = source

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> SourceSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.source = spider._find_source(crawler.settings.get("HSCTWATCH_CONFIG") or None)
        return spider

    def _find_source(self, config_path: str | None) -> SourceConfig:
        if not self.source_name:
            raise ConfigError(
                config_path or "built-in sources", None,
                f"the {self.kind} spider needs a source: scrapy crawl {self.kind} -a source=NAME",
            )
        source = load_config(config_path).source(self.source_name)
        if source.kind != self.kind:
            raise ConfigError(
                config_path or "built-in sources", None,
                f"source '{source.name}' is of kind '{source.kind}'; "
                f"run it with: scrapy crawl {source.kind} -a source={source.name}",
            )
        return source

    # -- articles -------------------------------------------------------------------------------

    def article_request(self, url: str, entry: dict[str, Any] | None = None) -> scrapy.Request | None:
        """A request for an article page; ``entry`` is what the listing/feed/API said of it.

        None when the article is stored and the source says it has not changed since (its
        feed date or sitemap lastmod is no newer than our last look at it).
        """
        entry = entry or {}
        if self.unchanged_since_stored(url, entry.get("updated") or entry.get("published")):
            self.crawler.stats.inc_value("hsctwatch/skipped_unchanged")
            return None
        return self.request(url, callback=self.parse_article, errback=self.article_failed,
                            cb_kwargs={"entry": entry}, meta={ARTICLE: True})

    def request(self, url: str, **kwargs: Any) -> scrapy.Request | None:
        """A request for a URL a source gave (a link, a sitemap's loc, a next page), or None with
        a warning when it is not a web address: one bad link never stops the rest of a source."""
        if not self.web_url(url):
            return None
        try:
            return scrapy.Request(url, **kwargs)
        except ValueError as exc:
            self.skip_link(url, str(exc))
            return None

    def web_url(self, url: Any) -> bool:
        """True for an http(s) URL with a host. Anything else a source names (javascript:,
        mailto:, file:, data:, ftp: …) is never requested: it is skipped with a warning."""
        try:
            parts = urlsplit(url.strip())
            ok = parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
        except (ValueError, AttributeError):  # a broken IPv6 address; not text at all
            ok = False
        if not ok:
            self.skip_link(str(url), "not an http(s) URL")
        return ok

    def skip_link(self, url: str, why: str) -> None:
        """A link of the source that is not followed: logged, counted, and named (once per
        reason) in the run summary as a warning — the source has not failed."""
        self.logger.warning("skipped %s: %s", printable(url, 200), why)
        self.crawler.stats.inc_value(SKIPPED_LINKS_STAT)
        add_warning(self.crawler.stats, f"skipped a link: {why}", example=url)

    def unchanged_since_stored(self, url: str, changed: Any) -> bool:
        when = parse_date(changed)
        if when is None:
            return False  # no date to go by: fetch it, conditionally
        store = crawl_store(self.crawler)
        if store is None:
            return False
        with store.session() as session:
            last_seen = session.scalar(select(Copy.last_seen).where(Copy.url_key == url_key(url)))
        return last_seen is not None and when <= last_seen

    def last_finished_run(self) -> datetime | None:
        """When this source's last complete crawl started (for APIs that filter by date)."""
        store = crawl_store(self.crawler)
        if store is None:
            return None
        with store.session() as session:
            return session.scalar(
                select(SourceRun.started_at)
                .where(SourceRun.source == self.source.name, SourceRun.finish_reason == "finished")
                .order_by(SourceRun.id.desc()).limit(1)
            )

    def parse_article(self, response: Response, entry: dict[str, Any]) -> Iterator[Article]:
        if not _is_html(response):
            self.report(f"{response.url}: expected an HTML page, got {_content_type(response)!r}")
            if entry.get("content_html") or entry.get("summary_html"):
                yield self.article_item(entry.get("url") or response.url, entry)
            return
        item = self.article_item(entry.get("url") or response.url, entry)
        item["final_url"] = response.url
        item["page_html"] = response.text
        yield item

    def article_failed(self, failure: Failure) -> Iterator[Article]:
        """A page could not be fetched: say so, and keep what the feed or API gave us."""
        request = failure.request  # type: ignore[attr-defined]
        if failure.check(Skipped):
            return  # unchanged since the last run, over a limit, or refused: reported elsewhere
        entry = request.cb_kwargs.get("entry") or {}
        self.report(f"{request.url}: {describe_failure(failure)}")
        if entry.get("content_html") or entry.get("summary_html"):
            yield self.article_item(entry.get("url") or request.url, entry)

    def article_item(self, url: str, entry: dict[str, Any]) -> Article:
        item = Article(source=self.source.name, url=url, fetched_at=datetime.now(UTC))
        for field in ("guid", "title", "summary_html", "content_html", "published", "updated",
                      "author", "feed_language", "categories"):
            if entry.get(field):
                item[field] = entry[field]
        if self.source.focus:  # what the source declared itself devoted to, for the rules
            item["focus"] = self.source.focus
        return item

    # -- failures -------------------------------------------------------------------------------

    def listing_failed(self, failure: Failure) -> None:
        """A feed, sitemap, API page or listing could not be fetched."""
        request = failure.request  # type: ignore[attr-defined]
        if failure.check(Skipped):
            return  # unchanged since the last run, over a limit, or refused: reported elsewhere
        self.report(f"{request.url}: {describe_failure(failure)}")

    def report(self, message: str) -> None:
        """Count a failure of this source and keep its message for the run summary."""
        self.logger.error(message)
        stats = self.crawler.stats
        stats.inc_value(ERRORS_STAT)
        messages = list(stats.get_value(MESSAGES_STAT) or [])
        if len(messages) < MAX_MESSAGES:
            messages.append(message)
            stats.set_value(MESSAGES_STAT, messages)


def join_url(base: str, href: str) -> str:
    """``href`` made absolute against the page it is on; as it stands when it can't be read
    (then it is skipped as a link that is not a web address)."""
    try:
        return urljoin(base, href.strip())
    except ValueError:
        return href


def describe_failure(failure: Failure) -> str:
    """One readable line for a download failure, for the run summary."""
    if failure.check(HttpError):
        response = failure.value.response
        return f"HTTP {response.status}"
    name = failure.type.__name__ if failure.type else "error"
    text = str(failure.value).strip()
    if failure.check(scrapy.exceptions.IgnoreRequest):
        return "forbidden by robots.txt" if "robots" in text.lower() else (text or "request dropped")
    for clue, plain in _PLAIN_FAILURES:
        if clue in name or clue in text:
            return plain
    return f"{name}: {text}" if text else name


#: Network failures in words an operator can act on (looked for in the exception's name and text).
_PLAIN_FAILURES = (
    ("ConnectionLost", "the connection was reset or closed before a full answer"),
    ("ConnectionRefused", "connection refused: is the site down?"),
    ("DNSLookupError", "the host name could not be found"),
    ("ResponseNeverReceived", "the connection was reset or closed before any answer"),
)


def _content_type(response: Response) -> str:
    value = response.headers.get(b"Content-Type") or b""
    return value.decode("latin-1").split(";")[0].strip().lower()


def _is_html(response: Response) -> bool:
    ctype = _content_type(response)
    if ctype in ("text/html", "application/xhtml+xml"):
        return True
    if not ctype:
        return b"<html" in response.body[:2048].lower()
    return False
