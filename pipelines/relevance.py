"""relevance: is the article really about autologous HSCT for MS? (hsctwatch/rules.toml)

Nothing is dropped: irrelevant articles are stored, unpublished, with their score and reasons,
so that `explain` can show why and a change of the rules (`reprocess`) can bring them back.
An item with neither title nor text has nothing to judge and passes through untouched (the
extract stage drops non-articles before this one).
"""

from __future__ import annotations

from scrapy.crawler import Crawler

from hsctwatch.items import Article
from hsctwatch.taxonomy import Document, Rules
from hsctwatch.timing import timed


class RelevancePipeline:
    def __init__(self, crawler: Crawler, rules: Rules):
        self.crawler = crawler
        self.rules = rules

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RelevancePipeline:
        """HSCTWATCH_RULES names an editor's rules file; unset, the shipped rules apply."""
        return cls(crawler, Rules.load(crawler.settings.get("HSCTWATCH_RULES") or None))

    @timed("relevance")
    def process_item(self, item: Article) -> Article:
        if not has_content(item):
            self.crawler.stats.inc_value("hsctwatch/relevance/skipped")
            return item
        decision = self.rules.relevance(document(item))
        item["relevant"] = decision.relevant
        item["relevance_score"] = decision.score
        item["relevance_reasons"] = list(decision.reasons)
        outcome = "relevant" if decision.relevant else "irrelevant"
        self.crawler.stats.inc_value(f"hsctwatch/relevance/{outcome}")
        return item


def has_content(item: Article) -> bool:
    return bool((item.get("title") or "").strip() or (item.get("text") or "").strip())


def document(item: Article) -> Document:
    """What the rules read: the extracted plain text, not the HTML."""
    return Document(title=item.get("title") or "", summary=item.get("summary") or "",
                    text=item.get("text") or "", url=item.get("canonical_url") or item.get("url") or "")
