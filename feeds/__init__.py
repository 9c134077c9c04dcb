"""Feed building: RSS 2.0, Atom 1.0, JSON Feed 1.1, per-tag feeds and an index page.

One format per module (rss, atom, jsonfeed, index); writer puts them on disk atomically.
"""

from feeds.model import FeedCopy, FeedItem, FeedMeta, FeedTag, FeedTranslation
from feeds.sanitize import clean_text, make_excerpt, sanitize_html
from feeds.writer import FeedReport, write_feeds

__all__ = ["FeedCopy", "FeedItem", "FeedMeta", "FeedReport", "FeedTag", "FeedTranslation", "clean_text",
           "make_excerpt", "sanitize_html", "write_feeds"]
