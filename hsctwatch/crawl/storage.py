"""The store a crawl writes to, as its components find it: the HSCTWATCH_STORE_URL setting
(the add-on sets it from the config's [store] url). Each URL is opened once per process."""

from __future__ import annotations

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from hsctwatch.stories.models import Store, open_store


def crawl_store(crawler: Crawler) -> Store | None:
    """The crawl's store, or None when the crawl has none (a bare `scrapy crawl` in a test)."""
    url = crawler.settings.get("HSCTWATCH_STORE_URL")
    return open_store(url) if url else None


def required_store(crawler: Crawler) -> Store:
    """The crawl's store, for a component that is useless without one: without it, Scrapy is
    told the component is switched off (NotConfigured), not that the crawl is broken."""
    store = crawl_store(crawler)
    if store is None:
        raise NotConfigured("HSCTWATCH_STORE_URL is not set")
    return store
