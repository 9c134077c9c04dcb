"""Feed building: RSS 2.0, Atom 1.0, JSON Feed 1.1, per-tag feeds, the readable site beside them,
the OPML list of every feed, and the email digest's message.

One output per module (rss, atom, jsonfeed, site, opml, digest; views is what a person reads of a
story, websub the hub); writer puts the folder on disk atomically, folder checks beforehand that
it can. The names below are imported when first used: a run checks the folder before its crawl
and builds the feeds after it, and need not hold the writers (feedgen, lxml, Jinja) meanwhile.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from feeds.model import FeedCopy, FeedItem, FeedMeta, FeedTag, FeedTranslation
    from feeds.sanitize import clean_text, make_excerpt, sanitize_html
    from feeds.writer import FeedReport, write_feeds

_HOMES = {"FeedCopy": "feeds.model", "FeedItem": "feeds.model", "FeedMeta": "feeds.model",
          "FeedTag": "feeds.model", "FeedTranslation": "feeds.model", "clean_text": "feeds.sanitize",
          "make_excerpt": "feeds.sanitize", "sanitize_html": "feeds.sanitize", "FeedReport": "feeds.writer",
          "write_feeds": "feeds.writer"}

__all__ = ["FeedCopy", "FeedItem", "FeedMeta", "FeedReport", "FeedTag", "FeedTranslation", "clean_text",
           "make_excerpt", "sanitize_html", "write_feeds"]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'feeds' has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name]), name)
