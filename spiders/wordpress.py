"""The ``wordpress`` kind: the WordPress REST API (``/wp-json/wp/v2/posts``).

Asks for posts matching each ``search`` term (all posts when there is none), newest change
first, and pages through ``X-WP-TotalPages``. The API gives the full content, so article pages
are fetched only with ``full_text = true`` (for their JSON-LD and rel=canonical). The post's
categories and tags come embedded (``_embed=wp:term``) by name, for the relevance rules.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import scrapy
from scrapy.http import Response

from hsctwatch.crawl.items import Article, categories
from hsctwatch.kinds import Option
from hsctwatch.scraped import html_line
from spiders.base import SourceSpider

# _links and _embedded: with _fields, WordPress embeds only what these two let through
FIELDS = "id,date_gmt,modified_gmt,link,guid,title,excerpt,content,author,_links,_embedded"
EMBED = "wp:term"  # the post's categories and tags, with their names
MAX_PAGES = 100


#: What this kind's `urls` are ("" : it takes none), and its options in a [[sources]] table.
#: The config loader reads both from here (hsctwatch.kinds.source_kinds).
KIND_URLS = "site roots; the spider asks /wp-json/wp/v2/posts"
OPTIONS = (
    Option("search", list, [], "search terms; one query per term (default: every post)"),
    Option("per_page", int, 20, "posts per API page", check="positive"),
    Option("api", str, "", "another REST URL instead of <root>/wp-json/wp/v2/", check="url"),
    Option("full_text", bool, False, "fetch each post's page instead of using the API's content"),
)


class WordPressSpider(SourceSpider):
    name = "wordpress"
    kind = "wordpress"

    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.seen_posts: set[tuple[str, str]] = set()
        # the first run backfills the archive; later runs ask only for what changed since the
        # last complete run (a day's margin for clocks and late edits)
        last = self.last_finished_run()
        self.modified_after = (last - timedelta(days=1)) if last else None
        terms = self.source.option("search") or [""]
        for root in self.source.urls:
            for term in terms:
                yield self.posts_request(root, term, page=1)

    def api_base(self, root: str) -> str:
        api = self.source.option("api")
        if api:
            return api
        return root.rstrip("/") + "/wp-json/wp/v2/posts"

    def posts_request(self, root: str, term: str, page: int) -> scrapy.Request:
        query: dict[str, Any] = {
            "per_page": self.source.option("per_page"),
            "page": page,
            "orderby": "modified",
            "order": "desc",
            "_fields": FIELDS,
            "_embed": EMBED,
        }
        if term:
            query["search"] = term
        if self.modified_after is not None:
            query["modified_after"] = self.modified_after.strftime("%Y-%m-%dT%H:%M:%S")
        url = f"{self.api_base(root)}?{urlencode(query)}"
        return scrapy.Request(
            url,
            callback=self.parse_posts,
            errback=self.listing_failed,
            cb_kwargs={"root": root, "term": term, "page": page},
            headers={"Accept": "application/json"},
        )

    def parse_posts(
        self, response: Response, root: str, term: str, page: int
    ) -> Iterator[Article | scrapy.Request]:
        try:
            posts = json.loads(response.text)
        except ValueError:
            self.report(f"{response.url}: the API did not answer JSON (is the REST API disabled?)")
            return
        if not isinstance(posts, list):
            self.report(f"{response.url}: the API answered {type(posts).__name__}, expected a list")
            return
        for post in posts:
            item_or_request = self.post_article(root, post)
            if item_or_request is not None:
                yield item_or_request
        if page == 1:
            total = _int_header(response, b"X-WP-TotalPages")
            for next_page in range(2, min(total, MAX_PAGES) + 1):
                yield self.posts_request(root, term, next_page)

    def post_article(self, root: str, post: Any) -> Article | scrapy.Request | None:
        if not isinstance(post, dict) or not post.get("link") or not self.web_url(post["link"]):
            return None
        key = (root, str(post.get("id") or post["link"]))  # one post, asked for by several terms
        if key in self.seen_posts:
            return None
        self.seen_posts.add(key)
        self.crawler.stats.inc_value("hsctwatch/wordpress/posts")
        entry = {
            "url": post["link"],
            # rendered HTML: read once here, so the title is plain text from now on
            "guid": html_line(_rendered(post.get("guid"))) or f"{root.rstrip('/')}/?p={post.get('id')}",
            "title": html_line(_rendered(post.get("title"))),
            "summary_html": _rendered(post.get("excerpt")),
            "content_html": _rendered(post.get("content")),
            "published": _gmt(post.get("date_gmt")),
            "updated": _gmt(post.get("modified_gmt")),
            "categories": post_terms(post),
        }
        if self.source.option("full_text"):
            return self.article_request(entry["url"], entry)  # None when stored and unchanged
        return self.article_item(entry["url"], entry)


TAXONOMIES = ("category", "post_tag")


def post_terms(post: dict[str, Any]) -> list[str]:
    """The names of the post's categories, then its tags, from ``_embedded["wp:term"]`` (a list
    per taxonomy). A site that does not embed them gives none: their ids alone say nothing."""
    embedded = post.get("_embedded")
    groups = embedded.get("wp:term") if isinstance(embedded, dict) else None
    terms = [t for group in groups if isinstance(group, list) for t in group
             if isinstance(t, dict)] if isinstance(groups, list) else []
    # WordPress escapes a term's name as HTML ("Q&amp;A"): read it as HTML, once
    return categories(html_line(str(t.get("name") or "")) for taxonomy in TAXONOMIES for t in terms
                      if t.get("taxonomy") == taxonomy)


def _rendered(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("rendered") or "")
    return str(value or "")


def _gmt(value: Any) -> str | None:
    """WordPress's *_gmt fields are UTC without a zone designator."""
    if not value or not isinstance(value, str):
        return None
    return value if value.endswith("Z") or "+" in value else value + "Z"


def _int_header(response: Response, name: bytes) -> int:
    try:
        return int(response.headers.get(name) or b"1")
    except ValueError:
        return 1
