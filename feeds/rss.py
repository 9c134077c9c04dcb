"""RSS 2.0 (feedgen): the main feed and the per-tag feeds."""

from __future__ import annotations

from collections.abc import Sequence

from feeds.common import author, body, generator, language, safe_url, title
from feeds.model import FeedItem, FeedMeta
from feeds.websub import with_hub


def rss_bytes(items: Sequence[FeedItem], meta: FeedMeta, *, path: str = "rss.xml",
              title_suffix: str = "") -> bytes:
    feed_title = meta.title + (f" — {title_suffix}" if title_suffix else "")
    fg = generator(meta, meta.base_url + path, feed_title, meta.description, items)
    fg.load_extension("dc", atom=False, rss=True)  # RSS's <author> wants an e-mail; names go in dc:creator
    for item in items:
        entry = fg.add_entry(order="append")
        entry.guid(item.guid, permalink=False)
        entry.title(title(item))
        entry.link(href=safe_url(item.link) or meta.base_url)
        entry.pubDate(item.published)
        entry.description(body(item))
        entry.dc.dc_creator(author(item, meta))
        entry.dc.dc_language(language(item, meta))
        for tag in item.tags:
            # feedgen writes an RSS category's label, if any, as its text: the slug is the contract
            entry.category(term=tag.slug, scheme=tag.facet)
    return with_hub(fg.rss_str(pretty=True), meta.hub)
