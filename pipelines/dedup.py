"""dedup: is this item a copy of a story already stored?

Matches the same canonical URL, a rel=canonical naming a stored copy (or a stored copy whose
rel=canonical names this one), the same feed guid, identical text, and then near-identical
text (MinHash-LSH, hsctwatch.neardup) — against every story in the store, not only this
run's. The store stage then attaches the copy to its story.
"""

from __future__ import annotations

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from hsctwatch.items import Article
from hsctwatch.neardup import given_seconds, shared_index
from hsctwatch.store import open_store
from hsctwatch.stories import StoryMatch, find_story
from hsctwatch.timing import charge, timed


class DedupPipeline:
    def __init__(self, crawler: Crawler, store_url: str):
        self.crawler = crawler
        self.store = open_store(store_url)
        self.index = shared_index(self.store)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupPipeline:
        url = crawler.settings.get("HSCTWATCH_STORE_URL")
        if not url:
            raise NotConfigured("HSCTWATCH_STORE_URL is not set")
        return cls(crawler, url)

    @timed("dedup")
    def process_item(self, item: Article) -> Article:
        with self.store.session() as session:
            match = find_story(session, item)
        if match is None and item.get("text"):
            near = self.index.find(item["text"])
            charge(self, "dedup", given_seconds(item["text"]))  # hashed in the worker process
            if near is not None:
                match = StoryMatch(near[0], "near-duplicate")
                self.crawler.stats.max_value("hsctwatch/dedup/best_similarity", round(near[1], 3))
        item["story_id"] = match.article_id if match else None
        item["duplicate_reason"] = match.reason if match else ""
        if match and match.reason != "same-url":
            self.crawler.stats.inc_value("hsctwatch/dedup/duplicates")
            self.crawler.stats.inc_value(f"hsctwatch/dedup/{match.reason}")
        elif match:
            self.crawler.stats.inc_value("hsctwatch/dedup/seen_again")
        return item
