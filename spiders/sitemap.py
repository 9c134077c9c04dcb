"""The ``sitemap`` kind: sitemaps, sitemap indexes, news sitemaps, or a robots.txt naming them.

``follow`` regexes choose the article URLs (default: all); ``max_age_days`` skips entries whose
``lastmod`` is older. Scrapy's own sitemap reader does the parsing.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import scrapy
from scrapy.http import Response, XmlResponse
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots

from hsctwatch.crawl.middlewares import UNCONDITIONAL
from hsctwatch.dates import parse_date
from hsctwatch.kinds import Option
from spiders.base import SourceSpider

MAX_SITEMAP_SIZE = 50 * 1024 * 1024


#: What this kind's `urls` are ("" : it takes none), and its options in a [[sources]] table.
#: The config loader reads both from here (hsctwatch.kinds.source_kinds).
KIND_URLS = "sitemaps, sitemap indexes, news sitemaps, or a robots.txt naming them"
OPTIONS = (
    Option("follow", list, [], "regexes; only article URLs matching one are kept (default: all)",
           check="regex"),
    Option("max_age_days", int, 0, "skip entries whose lastmod is older than this many days (0: keep all)",
           check="not-negative"),
)


class SitemapSpider(SourceSpider):
    name = "sitemap"
    kind = "sitemap"

    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.follow = [re.compile(p) for p in self.source.option("follow") or []]
        for url in self.source.urls:
            # robots.txt is always fetched in full: a 304 there must not hide changed sitemaps
            yield scrapy.Request(url, callback=self.parse_sitemap, errback=self.listing_failed,
                                 meta={UNCONDITIONAL: url.endswith("/robots.txt")}, dont_filter=True)

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        if response.url.endswith("/robots.txt"):
            found = list(sitemap_urls_from_robots(response.body, base_url=response.url))
            if not found:
                self.report(f"{response.url}: robots.txt names no sitemap; list the sitemap URL instead")
            for url in found:
                request = self.request(url, callback=self.parse_sitemap, errback=self.listing_failed)
                if request is not None:
                    yield request
            return
        body = self._sitemap_body(response)
        if body is None:
            self.report(f"{response.url}: not a sitemap (expected XML with <urlset> or <sitemapindex>)")
            return
        try:
            sitemap = Sitemap(body)
        except Exception as exc:  # lxml raises several kinds on garbage
            self.report(f"{response.url}: sitemap is not readable XML ({exc})")
            return
        if sitemap.type == "sitemapindex":
            for entry in sitemap:
                request = self.request(entry["loc"], callback=self.parse_sitemap,
                                       errback=self.listing_failed) if entry.get("loc") else None
                if request is not None:
                    yield request
        elif sitemap.type == "urlset":
            for entry in sitemap:
                request = self._article(entry)
                if request is not None:
                    yield request
        else:
            self.report(f"{response.url}: unknown sitemap type {sitemap.type!r}")

    def _article(self, entry: dict[str, Any]) -> scrapy.Request | None:
        loc = entry.get("loc", "")
        if not loc or (self.follow and not any(p.search(loc) for p in self.follow)):
            return None
        lastmod = parse_date(entry.get("lastmod"))
        max_age = int(self.source.option("max_age_days") or 0)
        if max_age and lastmod and lastmod < datetime.now(UTC) - timedelta(days=max_age):
            self.crawler.stats.inc_value("hsctwatch/sitemap/too_old")
            return None
        self.crawler.stats.inc_value("hsctwatch/sitemap/entries")
        return self.article_request(loc, {"url": loc, "updated": lastmod})

    def _sitemap_body(self, response: Response) -> bytes | None:
        if isinstance(response, XmlResponse):
            return response.body
        body = response.body
        if body[:2] == b"\x1f\x8b":
            try:
                return gunzip(body, max_size=MAX_SITEMAP_SIZE)
            except ValueError:
                return None
        if body.lstrip()[:5] == b"<?xml" or b"<urlset" in body[:2048] or b"<sitemapindex" in body[:2048]:
            return body
        return None
