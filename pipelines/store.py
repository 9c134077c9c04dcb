"""store: write each item in one transaction — a new story, an update, or a new copy."""

from __future__ import annotations

from scrapy.crawler import Crawler

from hsctwatch.crawl.items import Article
from hsctwatch.crawl.storage import required_store
from hsctwatch.crawl.timing import timed
from hsctwatch.stories.copies import StoryMatch, save_item
from hsctwatch.stories.models import Store, Story
from hsctwatch.stories.neardup import shared_index, to_bytes
from pipelines.dedup import item_signature


class StorePipeline:
    def __init__(self, crawler: Crawler, store: Store):
        self.crawler = crawler
        self.store = store
        self.index = shared_index(self.store)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        return cls(crawler, required_store(crawler))

    @timed("store")
    def process_item(self, item: Article) -> Article:
        story_id = item.get("story_id")
        match = StoryMatch(story_id, item.get("duplicate_reason") or "") if story_id else None
        # a new story's signature goes into its INSERT (the dedup stage hashed its text)
        minhash = item_signature(None, item) if match is None else None
        with self.store.session() as session:
            outcome, article_id = save_item(session, item, match, to_bytes(minhash) if minhash else None)
            if outcome in ("new", "updated", "copy"):
                # index the story's text as it now stands (a copy may have become its original),
                # and keep the signature with it, in the same transaction
                story = session.get(Story, article_id)
                if story is not None:
                    story.minhash = self.index.add(article_id, story.text)
        item.pop("judgement", None)  # the worker's reading is not stored
        item["outcome"] = outcome
        item["story_id"] = article_id
        self.crawler.stats.inc_value(f"hsctwatch/store/{outcome}")
        return item
