"""The ``html`` kind: listing pages (a news index, a tag page) with no feed.

``links`` is the CSS selector of the article links on a listing page, ``next`` the selector of
the link to the next listing page, followed at most ``max_pages`` times.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import scrapy
from scrapy.http import Response

from hsctwatch.kinds import Option
from spiders.base import SourceSpider, _is_html, join_url

#: What this kind's `urls` are ("" : it takes none), and its options in a [[sources]] table.
#: The config loader reads both from here (hsctwatch.kinds.source_kinds).
KIND_URLS = "listing pages (a news index, a tag page)"
OPTIONS = (
    Option("links", str, None, "CSS selector of the article links", required=True,
           example='links = "CSS selector of article links"', check="css"),
    Option("next", str, "", "CSS selector of the next-page link", check="css"),
    Option("max_pages", int, 5, "listing pages followed at most", check="positive"),
)


class HtmlSpider(SourceSpider):
    name = "html"
    kind = "html"

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.source.urls:
            request = self.listing_request(url, page=1)
            if request is not None:
                yield request

    def listing_request(self, url: str, page: int) -> scrapy.Request | None:
        return self.request(
            url, callback=self.parse_listing, errback=self.listing_failed, cb_kwargs={"page": page},
            dont_filter=page == 1,  # a redirect loop on the start page is reported, not filtered
        )

    def parse_listing(self, response: Response, page: int) -> Iterator[scrapy.Request]:
        if not _is_html(response):
            self.report(f"{response.url}: expected an HTML listing page")
            return
        links = response.css(self.source.option("links"))
        if not links:
            self.report(
                f"{response.url}: no article links match {self.source.option('links')!r} "
                "(has the site's layout changed?)"
            )
        for link in links:
            href = link.attrib.get("href") or link.css("a::attr(href)").get()
            if not href:
                continue
            url = join_url(response.url, href)
            self.crawler.stats.inc_value("hsctwatch/html/links")
            request = self.article_request(url, {"url": url})
            if request is not None:
                yield request
        next_selector = self.source.option("next")
        if next_selector and page < int(self.source.option("max_pages")):
            next_links = response.css(next_selector)
            href = next_links.attrib.get("href") if next_links else None
            next_request = self.listing_request(join_url(response.url, href), page + 1) if href else None
            if next_request is not None:
                yield next_request
