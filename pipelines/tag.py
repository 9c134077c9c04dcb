"""tag: every tag of the taxonomy whose subject a relevant article really discusses, each
with the phrases that triggered it and where they are."""

from __future__ import annotations

from scrapy.crawler import Crawler

from hsctwatch.items import Article
from hsctwatch.taxonomy import Rules
from hsctwatch.timing import timed
from pipelines.relevance import document

#: Records from research APIs are typed by where they come from.
RECORD_TYPES = {"paper": ("research", "a PubMed record"), "trial": ("trial", "a ClinicalTrials.gov record")}


class TagPipeline:
    def __init__(self, crawler: Crawler, rules: Rules):
        self.crawler = crawler
        self.rules = rules

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> TagPipeline:
        return cls(crawler, Rules.load(crawler.settings.get("HSCTWATCH_RULES") or None))

    @timed("tag")
    def process_item(self, item: Article) -> Article:
        if not item.get("relevant"):
            item["tags"] = []
            return item
        tags = [t.as_dict() for t in self.rules.tags(document(item))]
        record_type = item.get("record_type")
        if record_type in RECORD_TYPES:
            slug, evidence = RECORD_TYPES[record_type]
            tags = [t for t in tags if not (t["facet"] == "type" and t["slug"] == "news")]
            if all(t["slug"] != slug for t in tags):
                tags.insert(0, {"facet": "type", "slug": slug,
                                "evidence": [{"phrase": evidence, "where": "record"}]})
        item["tags"] = tags
        self.crawler.stats.inc_value("hsctwatch/tag/tagged")
        self.crawler.stats.inc_value("hsctwatch/tag/tags", len(tags))
        return item
