"""What the RSS and Atom writers share: the feed head, and each item's text."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import lru_cache

from feedgen.feed import FeedGenerator

from feeds.model import FeedItem, FeedMeta
from feeds.sanitize import clean_text, item_html, make_excerpt
from hsctwatch.scraped import strip_illegal

EMPTY_FEED_DATE = datetime(2026, 1, 1, tzinfo=UTC)


def newest(items: Sequence[FeedItem]) -> datetime:
    """The feed's date is its newest item's, so unchanged input gives byte-identical files."""
    dates = [max(i.published, i.updated or i.published) for i in items]
    return max(dates) if dates else EMPTY_FEED_DATE


def generator(meta: FeedMeta, self_url: str, title: str, description: str,
              items: Sequence[FeedItem]) -> FeedGenerator:
    fg = FeedGenerator()
    fg.id(self_url)
    fg.title(clean_text(title))
    fg.description(clean_text(description) or clean_text(title))
    fg.subtitle(clean_text(description) or clean_text(title))
    fg.link(href=self_url, rel="self")
    if meta.hub:
        fg.link(href=meta.hub, rel="hub")  # Atom; RSS gets it from feeds.websub.with_hub
    fg.link(href=meta.base_url, rel="alternate")  # RSS's <link> is the last one set
    fg.language(meta.language)
    fg.author({"name": clean_text(meta.title)})
    fg.generator(meta.generator)
    when = newest(items)
    fg.lastBuildDate(when)
    fg.updated(when)
    return fg


@lru_cache(maxsize=2048)  # an item is in the main feed, its tags' feeds, Atom and JSON: made once
def body(item: FeedItem) -> str:
    return item_html(
        excerpt(item),
        safe_url(item.link),
        item.source_title,
        note=item.note,
        copies=tuple((safe_url(c.url), c.source_title) for c in item.copies if safe_url(c.url)),
        see_also=tuple((safe_url(c.url), c.source_title) for c in item.see_also if safe_url(c.url)),
        translations=tuple((t.language_name, safe_url(t.url), t.title) for t in item.translations
                           if safe_url(t.url)),
    ) + tag_labels(item)


@lru_cache(maxsize=4096)  # the feeds, JSON Feed's summary, the site and the digest all show it
def excerpt(item: FeedItem) -> str:
    return make_excerpt(item.summary, item.text)


def tag_labels(item: FeedItem) -> str:
    """The item's tags by their labels ("Tags: Primary progressive MS, Research"): readers show
    the categories' slugs as they are, so the words a person reads come with the text."""
    labels = [clean_text(t.display) for t in item.tags if clean_text(t.display)]
    return f"<p>Tags: {html.escape(', '.join(labels))}</p>" if labels else ""


def language(item: FeedItem, meta: FeedMeta) -> str:
    """The item's language, or the feed's for an item whose language is not known."""
    return item.language or meta.language


def safe_url(url: str) -> str:
    url = strip_illegal(url or "").strip()
    return url if url.lower().startswith(("http://", "https://")) else ""


def title(item: FeedItem) -> str:
    return clean_text(item.title) or "(untitled)"


def author(item: FeedItem, meta: FeedMeta) -> str:
    """Who wrote it: the author when known, else the source's name (the publisher of the
    original), else the feed's own title. Every format names one, so readers never differ."""
    return clean_text(item.author) or clean_text(item.source_title) or clean_text(meta.title)
