"""store: write each item in one transaction — a new story, an update, or a new copy."""

from __future__ import annotations

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from hsctwatch.items import Article
from hsctwatch.neardup import shared_index, signature, to_bytes
from hsctwatch.store import Article as StoredArticle
from hsctwatch.store import open_store
from hsctwatch.stories import StoryMatch, save_item
from hsctwatch.timing import timed


class StorePipeline:
    def __init__(self, crawler: Crawler, store_url: str):
        self.crawler = crawler
        self.store = open_store(store_url)
        self.index = shared_index(self.store)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        url = crawler.settings.get("HSCTWATCH_STORE_URL")
        if not url:
            raise NotConfigured("HSCTWATCH_STORE_URL is not set")
        return cls(crawler, url)

    @timed("store")
    def process_item(self, item: Article) -> Article:
        story_id = item.get("story_id")
        match = StoryMatch(story_id, item.get("duplicate_reason") or "") if story_id else None
        # a new story's signature goes into its INSERT (the dedup stage hashed its text)
        minhash = signature(item.get("text") or "") if match is None else None
        with self.store.session() as session:
            outcome, article_id = save_item(session, item, match, to_bytes(minhash) if minhash else None)
            if outcome in ("new", "updated", "copy"):
                # index the story's text as it now stands (a copy may have become its original),
                # and keep the signature with it, in the same transaction
                story = session.get(StoredArticle, article_id)
                if story is not None:
                    story.minhash = self.index.add(article_id, story.text)
        item["outcome"] = outcome
        item["story_id"] = article_id
        self.crawler.stats.inc_value(f"hsctwatch/store/{outcome}")
        return item
