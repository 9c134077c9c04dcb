"""From the store to the feed folder: which stories are published, and how they look.

`[feeds] publish = "auto"` publishes every relevant story an editor has not rejected;
`"approved"` only the ones an editor approved.
"""

from __future__ import annotations

from feeds import FeedCopy, FeedItem, FeedMeta, FeedTag, write_feeds
from feeds.writer import FeedReport
from hsctwatch.config import Config
from hsctwatch.store import Article, Source, open_store
from hsctwatch.taxonomy import Rules


def build_feeds(config: Config) -> FeedReport:
    """Write every feed file from the store; unchanged files are left as they are."""
    store = open_store(config.store_url)
    rules = Rules.load(config.rules)
    with store.session() as session:
        titles = {s.name: s.title for s in session.query(Source).all()}
        for source in config.sources:
            titles.setdefault(source.name, source.display_title)
        articles = store.published_articles(session, publish=config.feeds.publish)
        items = [feed_item(a, titles, rules) for a in articles]
    meta = FeedMeta(
        title=config.feeds.title,
        description=config.feeds.description,
        base_url=config.feeds.base_url if config.feeds.base_url.endswith("/")
        else config.feeds.base_url + "/",
        language=config.feeds.language,
    )
    return write_feeds(items, meta, config.feeds_dir, max_items=config.feeds.max_items)


def feed_item(article: Article, source_titles: dict[str, str], rules: Rules) -> FeedItem:
    original = article.original
    copies = tuple(
        FeedCopy(url=c.url, source_title=source_titles.get(c.source, c.source))
        for c in article.copies
        if not c.is_original and (original is None or c.url != original.url)
    )
    tags = tuple(
        FeedTag(facet=t.facet, slug=t.slug, label=_label(rules, t.slug))
        for t in sorted(article.tags, key=lambda t: (t.facet, t.slug))
        if t.origin != "removed"
    )
    return FeedItem(
        guid=article.guid,
        title=article.title,
        link=article.link,
        published=article.published or article.first_seen,
        updated=article.updated,
        summary=article.summary,
        text=article.text,
        source_title=source_titles.get(article.source, article.source),
        author=article.author,
        tags=tags,
        copies=copies,
    )


def _label(rules: Rules, slug: str) -> str:
    try:
        return rules.label(slug)
    except KeyError:
        return slug
