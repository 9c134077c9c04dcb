"""tag: every tag of the taxonomy whose subject a relevant article really discusses, each with
the phrases that triggered it and where they are (hsctwatch/rules/rules.toml).

The learned model (HSCTWATCH_MODEL, hsctwatch/rules/learned.py), when on, adds a type or topic
tag the rules missed and takes off one they gave, where its tag models are sure; it reads the
words the relevance stage already read for the article (one transform per article).

Irrelevant articles get no tags; an item with neither title nor text passes through untouched.
"""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler

from hsctwatch.crawl.items import Article
from hsctwatch.crawl.timing import charge, timed
from hsctwatch.rules import Rules
from hsctwatch.rules.learned import Learned
from pipelines.relevance import document, has_content

#: Records from research APIs are typed by where they come from, whatever their text says.
RECORD_TYPES = {"paper": ("research", "a PubMed record"), "trial": ("trial", "a ClinicalTrials.gov record")}


class TagPipeline:
    def __init__(self, crawler: Crawler, rules: Rules, learned: Learned | None = None):
        self.crawler = crawler
        self.rules = rules
        self.learned = learned or Learned()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> TagPipeline:
        """HSCTWATCH_RULES names an editor's rules file; unset, the shipped rules apply.
        HSCTWATCH_MODEL names the learned model's file; unset, the rules tag alone."""
        settings = crawler.settings
        rules = Rules.load(settings.get("HSCTWATCH_RULES") or None)
        learned = Learned.load(settings.get("HSCTWATCH_MODEL") or None, rules_digest=rules.digest,
                               weight=settings.getfloat("HSCTWATCH_MODEL_WEIGHT", 0.6),
                               threshold=rules.threshold)
        return cls(crawler, rules, learned)

    @timed("tag")
    def process_item(self, item: Article) -> Article:
        if not has_content(item):
            return item
        if not item.get("relevant"):
            item["tags"] = []
            return item
        doc = document(item)
        judgement = item.get("judgement")  # by the worker process, if for this document and rules
        judged = judgement.tags_for(doc, self.rules.digest) if judgement else None
        if judged is None:
            found = self.rules.tags(doc)
        else:
            found, seconds = judged
            charge(self, "tag", seconds)
        read = judgement.model_for(doc) if judgement else None  # the model's reading, by the worker
        ahead = read[0] if read is not None else None
        retagged = self.learned.retag(doc, found, self.rules.facet, ahead)  # the rules' own, model off
        if {t.slug for t in retagged} != {t.slug for t in found}:
            self.crawler.stats.inc_value("hsctwatch/tag/model_changed")
        tags = [t.as_dict() for t in retagged]
        item["tags"] = _typed_by_record(tags, item.get("record_type"))
        self.crawler.stats.inc_value("hsctwatch/tag/tagged")
        self.crawler.stats.inc_value("hsctwatch/tag/tags", len(item["tags"]))
        return item


def _typed_by_record(tags: list[dict[str, Any]], record_type: str | None) -> list[dict[str, Any]]:
    """A PubMed paper is research and a registry record a trial, even when the text is too short
    to tell; then the default `news` type does not apply."""
    if record_type not in RECORD_TYPES:
        return tags
    slug, evidence = RECORD_TYPES[record_type]
    tags = [t for t in tags if not (t["facet"] == "type" and t["slug"] == "news")]
    if all(t["slug"] != slug for t in tags):
        tags.insert(0, {"facet": "type", "slug": slug, "evidence": [{"phrase": evidence, "where": "record"}]})
    return tags
