"""The item that travels from a spider through the pipelines to the store.

A spider fills what the *source* told it (the feed entry, the API record, the fetched page);
the pipelines fill the rest, each its own group of fields, in order:

normalize → extract → relevance → tag → dedup → store
"""

from __future__ import annotations

import scrapy

# made in the worker process, which does not import Scrapy: kept apart, and named here as before
from hsctwatch.crawl.judgement import MAX_CATEGORIES, MAX_CATEGORY_CHARS, Judgement, categories

__all__ = ["MAX_CATEGORIES", "MAX_CATEGORY_CHARS", "Article", "Judgement", "categories"]


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
    # the story lock's number the answer was found at (Store.lock_seq): with nothing stored since,
    # the store stage need not look again
    checked_seq = scrapy.Field()

    # -- store -------------------------------------------------------------------------------
    outcome = scrapy.Field()  # "new", "updated", "unchanged", "copy"
