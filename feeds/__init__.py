"""Feed building: RSS 2.0, Atom 1.0, JSON Feed 1.1, per-tag feeds, the readable site beside them,
the OPML list of every feed, and the email digest's message.

One output per module (rss, atom, jsonfeed, site, opml, digest; views is what a person reads of a
story, websub the hub); writer puts the folder on disk atomically.
"""

from feeds.model import FeedCopy, FeedItem, FeedMeta, FeedTag, FeedTranslation
from feeds.sanitize import clean_text, make_excerpt, sanitize_html
from feeds.writer import FeedReport, write_feeds

__all__ = ["FeedCopy", "FeedItem", "FeedMeta", "FeedReport", "FeedTag", "FeedTranslation", "clean_text",
           "make_excerpt", "sanitize_html", "write_feeds"]
