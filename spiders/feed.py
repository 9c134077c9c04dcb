"""The ``feed`` kind: RSS 0.9x/1.0/2.0 and Atom feeds, broken ones included (feedparser).

Each entry's page is fetched for the full text unless ``full_text = false``; if the page
can't be fetched, the entry's own content is kept.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from time import struct_time
from typing import Any

import feedparser
import scrapy
from scrapy.http import Response

from hsctwatch.crawl.items import Article, categories
from hsctwatch.kinds import Option
from hsctwatch.scraped import has_markup, html_line
from spiders.base import SourceSpider, _content_type, join_url

#: What this kind's `urls` are ("" : it takes none), and its options in a [[sources]] table.
#: The config loader reads both from here (hsctwatch.kinds.source_kinds).
KIND_URLS = "RSS 0.9x/1.0/2.0 or Atom feeds (broken ones are read as far as they can be)"
OPTIONS = (
    Option("full_text", bool, True,
           "fetch each entry's page for the full text; false keeps the feed's own content"),
)


class FeedSpider(SourceSpider):
    name = "feed"
    kind = "feed"

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.source.urls:
            # dont_filter: a redirect back to this URL must count towards REDIRECT_MAX_TIMES (and
            # be reported as a loop), not vanish in the duplicate filter
            yield scrapy.Request(url, callback=self.parse_feed, errback=self.listing_failed,
                                 dont_filter=True)

    def parse_feed(self, response: Response) -> Iterator[Article | scrapy.Request]:
        content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
        parsed = feedparser.parse(
            response.body,
            response_headers={"content-type": content_type, "content-location": response.url},
        )
        if not parsed.entries:
            self.report(f"{response.url}: {why_not_a_feed(response, parsed)}")
            return
        if parsed.bozo:
            self.logger.warning("%s: feed is not well-formed (%s); read what could be read",
                                response.url, parsed.bozo_exception)
            self.crawler.stats.inc_value("hsctwatch/feed/malformed")
        full_text = bool(self.source.option("full_text"))
        feed_language = parsed.feed.get("language") or ""
        for entry in parsed.entries:
            data = entry_data(entry, response.url, atom=str(parsed.get("version", "")).startswith("atom"))
            data["feed_language"] = data.get("feed_language") or feed_language
            if not data.get("url"):
                self.crawler.stats.inc_value("hsctwatch/feed/entry_without_link")
                continue
            if not self.web_url(data["url"]):
                continue
            self.crawler.stats.inc_value("hsctwatch/feed/entries")
            if full_text:
                request = self.article_request(data["url"], data)
                if request is not None:
                    yield request
            else:
                yield self.article_item(data["url"], data)


def entry_data(entry: Any, base_url: str, *, atom: bool = False) -> dict[str, Any]:
    """What a feed entry tells about its article, in Article field names."""
    link = entry.get("link") or ""
    if not link:
        for candidate in entry.get("links", []):
            if candidate.get("rel", "alternate") == "alternate" and candidate.get("href"):
                link = candidate["href"]
                break
    if link:
        link = join_url(base_url, link)
    content = ""
    if entry.get("content"):
        content = max((c.get("value", "") for c in entry["content"]), key=len)
    return {
        "url": link,
        "guid": entry.get("id") or "",
        "title": entry_title(entry, atom=atom),
        "summary_html": entry.get("summary", ""),
        "content_html": content,
        # dict.get: feedparser's own .get() quietly swaps updated and published
        "published": _when(dict.get(entry, "published_parsed")) or dict.get(entry, "published"),
        "updated": _when(dict.get(entry, "updated_parsed")) or dict.get(entry, "updated"),
        "author": entry.get("author", ""),
        # dc:language, or the xml:lang of an Atom entry's content or title
        "feed_language": entry.get("language") or _detail_language(entry),
        "categories": entry_categories(entry),
    }


def entry_categories(entry: Any) -> list[str]:
    """The entry's <category> (RSS) or category term (Atom): a label when the feed gives one,
    else the term. A blog's "HSCT" or "Day by day" tells what its post is about."""
    return categories((tag.get("label") or tag.get("term") or "") for tag in entry.get("tags") or []
                      if isinstance(tag, dict))


def entry_title(entry: Any, *, atom: bool = False) -> str:
    """The entry's title as plain text, its entities decoded once.

    feedparser gives a title as text, or as HTML when an Atom feed says type="html" or an RSS
    title looks like markup. An Atom HTML title is read as HTML. An RSS title is text once the
    XML is read: feedparser calls `&lt;img&gt;` HTML for its entities, but the publisher wrote
    the text "&lt;img&gt;" — only a title with real tags in it is read as HTML.
    """
    title = str(entry.get("title") or "")
    kind = str((entry.get("title_detail") or {}).get("type") or "text/plain")
    if kind in ("text/html", "application/xhtml+xml") and (atom or has_markup(title)):
        return html_line(title)
    return title


def _detail_language(entry: Any) -> str:
    for key in ("content", "summary_detail", "title_detail"):
        value = entry.get(key)
        detail = value[0] if isinstance(value, list) and value else value
        if isinstance(detail, dict) and detail.get("language"):
            return str(detail["language"])
    return ""


def _when(parsed: struct_time | None) -> datetime | None:
    if not parsed:
        return None
    try:
        return datetime(*parsed[:6], tzinfo=UTC)
    except (TypeError, ValueError):
        return None


def why_not_a_feed(response: Response, parsed: Any) -> str:
    ctype = _content_type(response)
    head = response.body[:1024].lstrip().lower()
    if not response.body.strip():
        return "the feed is empty"
    if ctype == "text/html" or head.startswith(b"<!doctype html") or head.startswith(b"<html"):
        return "expected a feed but got an HTML page (has the feed moved?)"
    if parsed.bozo:
        return f"not a readable feed: {parsed.bozo_exception}"
    return "the feed has no entries"
