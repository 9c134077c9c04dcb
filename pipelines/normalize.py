"""normalize: one form for URLs, dates and whitespace before anything compares them."""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from hsctwatch.crawl.items import Article
from hsctwatch.crawl.timing import timed
from hsctwatch.dates import parse_date
from hsctwatch.scraped import text_line
from hsctwatch.urls import canonical_url


class NormalizePipeline:
    """Canonical URL (no tracking, AMP or comment-reply parameters), UTC dates, tidy strings:
    titles and authors as one line of plain text, with no bidirectional or zero-width tricks."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> NormalizePipeline:
        return cls(crawler)

    @timed("normalize")
    def process_item(self, item: Article) -> Article:
        url = item.get("final_url") or item.get("url") or ""
        canonical = canonical_url(url)
        if not canonical.startswith(("http://", "https://")):
            self.crawler.stats.inc_value("hsctwatch/normalize/dropped_bad_url")
            raise DropItem(f"not an http(s) URL: {url!r}")
        item["canonical_url"] = canonical
        for field in ("published", "updated"):
            item[field] = parse_date(item.get(field))
        if item.get("published") is None and item.get("updated") is not None:
            item["published"] = item["updated"]
        for field in ("title", "author", "guid"):
            # plain text from the spider (which read its format's markup): never unescaped again
            item[field] = text_line(_text(item.get(field)))
        self.crawler.stats.inc_value("hsctwatch/normalize/items")
        return item


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        value = " ".join(str(v) for v in value if v)
    return str(value)
