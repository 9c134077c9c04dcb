"""JSON Feed 1.1 (https://jsonfeed.org/version/1.1)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from feeds.common import author, body, excerpt, language, safe_url, title
from feeds.model import FeedItem, FeedMeta
from feeds.sanitize import clean_text


def json_bytes(items: Sequence[FeedItem], meta: FeedMeta) -> bytes:
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": clean_text(meta.title),
        "home_page_url": meta.base_url,
        "feed_url": meta.base_url + "feed.json",
        "description": clean_text(meta.description),
        "language": meta.language,
        "items": [_item(i, meta) for i in items],
    }
    if meta.hub:
        feed["hubs"] = [{"type": "WebSub", "url": meta.hub}]
    return (json.dumps(feed, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _item(item: FeedItem, meta: FeedMeta) -> dict[str, object]:
    data: dict[str, object] = {
        "id": item.guid,
        "url": safe_url(item.link),
        "title": title(item),
        "content_html": body(item),
        "summary": excerpt(item),
        "date_published": item.published.isoformat(),
        "date_modified": (item.updated or item.published).isoformat(),
        "authors": [{"name": author(item, meta)}],
        "tags": [t.slug for t in item.tags],
        "language": language(item, meta),
    }
    extension: dict[str, object] = {  # the tags' facets and readable labels beside their slugs
        "tags": [{"slug": t.slug, "facet": t.facet, "label": clean_text(t.display)} for t in item.tags],
    }
    copies = [safe_url(c.url) for c in item.copies if safe_url(c.url)]
    if copies:
        extension["also_published_at"] = copies
    data["_hsct_watch"] = extension
    return data
