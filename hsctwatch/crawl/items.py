"""The item that travels from a spider through the pipelines to the store.

A spider fills what the *source* told it (the feed entry, the API record, the fetched page);
the pipelines fill the rest, each its own group of fields, in order:

normalize → extract → relevance → tag → dedup → store
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import scrapy

from hsctwatch.rules import Document, Relevance, TagMatch
from hsctwatch.scraped import clean_line

MAX_CATEGORIES = 30  # a page's own labels: a few; more is a tag cloud
MAX_CATEGORY_CHARS = 100


class Article(scrapy.Item):
    # -- set by the spider ------------------------------------------------------------------
    source = scrapy.Field()  # the source's name in the config
    url = scrapy.Field()  # where the article was found (entry link, API link, listing link)
    final_url = scrapy.Field()  # the page's URL after redirects, when the page was fetched
    guid = scrapy.Field()  # the feed's or API's own id for the entry, when it has one
    title = scrapy.Field()  # title as the source gives it (feed/API); extract may fill it
    summary_html = scrapy.Field()  # the source's own summary (feed description, WP excerpt)
    content_html = scrapy.Field()  # full content the source gave (content:encoded, WP content)
    page_html = scrapy.Field()  # the article page's HTML, when the page was fetched
    published = scrapy.Field()  # datetime or string as given; normalize makes it UTC
    updated = scrapy.Field()  # datetime or string as given (feed updated, WP modified, lastmod)
    author = scrapy.Field()
    # list[str]: the post's own categories and tags (a feed's <category>, WordPress terms);
    # extract adds the page's JSON-LD keywords and articleSection
    categories = scrapy.Field()
    focus = scrapy.Field()  # the source's declared focus ("hsct"), when it has one
    fetched_at = scrapy.Field()  # when the spider got it (UTC)
    record_type = scrapy.Field()  # "paper" or "trial" for records from research APIs, else unset
    record = scrapy.Field()  # dict: what the API said (pmid, doi, journal, status, phase, …)
    feed_language = scrapy.Field()  # the language the feed or API declares for the entry ("es-MX"), if any

    # -- normalize ---------------------------------------------------------------------------
    canonical_url = scrapy.Field()  # url without tracking params, www, AMP, trailing slash …

    # -- extract -----------------------------------------------------------------------------
    text = scrapy.Field()  # main text, boilerplate removed, paragraphs separated by blank lines
    summary = scrapy.Field()  # plain-text summary: the article's own, else empty
    rel_canonical = scrapy.Field()  # the page's rel=canonical / og:url, normalized
    metadata = scrapy.Field()  # dict: what JSON-LD / Open Graph said (publisher, section, …)
    attribution = scrapy.Field()  # a "first appeared on …" line found in the text, if any
    content_hash = scrapy.Field()  # hash of the normalized text, for identical-text dedup
    language = scrapy.Field()  # the article's language code ("es"), told from its text (hsctwatch.language)
    alternates = scrapy.Field()  # dict: language → URL of the page's other language versions (hreflang)

    judgement = scrapy.Field()  # Judgement: the worker process's reading ahead of the next stages

    # -- relevance ---------------------------------------------------------------------------
    relevant = scrapy.Field()  # bool
    relevance_score = scrapy.Field()  # float
    relevance_reasons = scrapy.Field()  # list[str]
    borderline = scrapy.Field()  # bool: not relevant, but just under the threshold (for an editor)

    # -- tag ---------------------------------------------------------------------------------
    tags = scrapy.Field()  # list[dict(facet, slug, evidence=list[dict(phrase, where)])]

    # -- dedup -------------------------------------------------------------------------------
    story_id = scrapy.Field()  # id of the stored story this item is a copy of, or None
    duplicate_reason = scrapy.Field()  # why it was matched ("canonical-url", "rel-canonical", …)

    # -- store -------------------------------------------------------------------------------
    outcome = scrapy.Field()  # "new", "updated", "unchanged", "copy"


def categories(*groups: Iterable[Any]) -> list[str]:
    """A post's categories from every place that gives them, in order: cleaned (scraped
    text), without repeats (whatever their case) and within sensible bounds."""
    seen: set[str] = set()
    out: list[str] = []
    for group in groups:
        for value in group or ():
            name = clean_line(str(value))[:MAX_CATEGORY_CHARS].strip() if isinstance(value, str) else ""
            if name and name.casefold() not in seen and len(out) < MAX_CATEGORIES:
                seen.add(name.casefold())
                out.append(name)
    return out


@dataclass(frozen=True)
class Judgement:
    """What the worker process (hsctwatch.crawl.worker) found for the story an item will most
    likely make, while it read the page on a second core: relevance, tags and the near-duplicate
    signature. It travels on the item (the `judgement` field) and the relevance, tag and dedup
    stages take their part of it only when it was made for the very document and rules they
    have; otherwise they work it out themselves. The store stage drops it: it is not stored."""

    document: Document  # what was judged
    rules_digest: str  # under the rules file of this digest ("": relevance and tags not judged)
    relevance: Relevance | None = None
    relevance_seconds: float = 0.0
    tags: tuple[TagMatch, ...] | None = None  # None: not relevant, or not judged
    tag_seconds: float = 0.0
    signature: Any = None  # the MinHash hash values of document.text; None: too short to compare
    signature_seconds: float = 0.0

    def relevance_for(self, document: Document, rules_digest: str) -> tuple[Relevance, float] | None:
        """The relevance decision and the seconds it took, if made for this document and rules."""
        if self.relevance is None or not self._same(document, rules_digest):
            return None
        return self.relevance, self.relevance_seconds

    def tags_for(self, document: Document, rules_digest: str) -> tuple[tuple[TagMatch, ...], float] | None:
        if self.tags is None or not self._same(document, rules_digest):
            return None
        return self.tags, self.tag_seconds

    def signature_for(self, text: str) -> tuple[Any, float] | None:
        """The signature's hash values (None for a text too short) and its seconds, if made for
        this text."""
        return (self.signature, self.signature_seconds) if text == self.document.text else None

    def _same(self, document: Document, rules_digest: str) -> bool:
        return bool(rules_digest) and rules_digest == self.rules_digest and document == self.document
