"""tag: every tag of the taxonomy whose subject a relevant article really discusses, each
with the phrases that triggered it and where they are."""

from __future__ import annotations

from scrapy.crawler import Crawler

from hsctwatch.items import Article
from hsctwatch.taxonomy import Rules
from pipelines.relevance import document


class TagPipeline:
    def __init__(self, crawler: Crawler, rules: Rules):
        self.crawler = crawler
        self.rules = rules

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> TagPipeline:
        return cls(crawler, Rules.load(crawler.settings.get("HSCTWATCH_RULES") or None))

    def process_item(self, item: Article) -> Article:
        if not item.get("relevant"):
            item["tags"] = []
            return item
        tags = self.rules.tags(document(item))
        item["tags"] = [t.as_dict() for t in tags]
        self.crawler.stats.inc_value("hsctwatch/tag/tagged")
        self.crawler.stats.inc_value("hsctwatch/tag/tags", len(tags))
        return item
