"""relevance: is the article really about autologous HSCT for MS? (hsctwatch/rules/rules.toml)

Nothing is dropped: irrelevant articles are stored, unpublished, with their score and reasons,
so that `explain` can show why and a change of the rules (`reprocess`) can bring them back.
The learned model (HSCTWATCH_MODEL, hsctwatch/rules/learned.py), when on, adds its evidence to
the rules' decision; items just under the threshold (HSCTWATCH_BORDERLINE_MARGIN) are marked
borderline, for an editor to see first.
An item with neither title nor text has nothing to judge and passes through untouched (the
extract stage drops non-articles before this one).
"""

from __future__ import annotations

import functools
import logging
import time
from typing import TYPE_CHECKING, Any

from hsctwatch.crawl.timing import charge, timed
from hsctwatch.rules import Document, Rules
from hsctwatch.rules.learned import Learned

if TYPE_CHECKING:  # the worker process, which judges with this module, does without Scrapy
    from scrapy.crawler import Crawler

    from hsctwatch.crawl.items import Article

log = logging.getLogger(__name__)


class RelevancePipeline:
    def __init__(self, crawler: Crawler, rules: Rules, learned: Learned | None = None, margin: float = 0.15):
        self.crawler = crawler
        self.rules = rules
        self.learned = learned or Learned()
        self.margin = margin
        if self.learned.note:
            log.warning("learned model not used: %s", self.learned.note)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RelevancePipeline:
        """HSCTWATCH_RULES names an editor's rules file; unset, the shipped rules apply.
        HSCTWATCH_MODEL names the learned model's file; unset, the rules decide alone."""
        settings = crawler.settings
        rules = Rules.load(settings.get("HSCTWATCH_RULES") or None)
        weight = settings.getfloat("HSCTWATCH_MODEL_WEIGHT", 0.6)
        learned = Learned.load(settings.get("HSCTWATCH_MODEL") or None, rules_digest=rules.digest,
                               weight=weight, threshold=rules.threshold)
        return cls(crawler, rules, learned, settings.getfloat("HSCTWATCH_BORDERLINE_MARGIN", 0.15))

    @timed("relevance")
    def process_item(self, item: Article) -> Article:
        if not has_content(item):
            self.crawler.stats.inc_value("hsctwatch/relevance/skipped")
            return item
        doc = document(item)
        judgement = item.get("judgement")  # by the worker process, if for this document and rules
        judged = judgement.relevance_for(doc, self.rules.digest) if judgement else None
        if judged is None:
            decision = self.rules.relevance(doc)
        else:
            decision, seconds = judged
            charge(self, "relevance", seconds)
        # the model's reading, by the worker process if it read this document with this model
        ahead = None
        read = judgement.model_for(doc) if judgement else None
        if read is not None and self.learned.takes(read[0]):
            ahead, seconds = read
            charge(self, "relevance", seconds)
        learned = self.learned.combine(doc, decision, ahead)  # the rules' own when the model is off
        if learned.relevant != decision.relevant:
            changed = "kept" if learned.relevant else "dropped"
            self.crawler.stats.inc_value(f"hsctwatch/relevance/model_{changed}")
        decision = learned
        item["borderline"] = decision.borderline(self.rules.threshold, self.margin)
        item["relevant"] = decision.relevant
        item["relevance_score"] = decision.score
        item["relevance_reasons"] = list(decision.reasons)
        outcome = "relevant" if decision.relevant else "irrelevant"
        self.crawler.stats.inc_value(f"hsctwatch/relevance/{outcome}")
        return item


def judge(path: str | None, digest: str, doc: Document, model_path: str | None = None) -> dict[str, Any]:
    """In the worker process: the document's relevance and (if relevant) tags, with the seconds
    each took, and the learned model's reading of it (at ``model_path``, if the model is for
    these rules), as fields of a Judgement; nothing if its rules file is not the one of that
    digest."""
    rules = rules_of(path, digest)
    if rules is None:
        return {}
    started = time.perf_counter()
    decision = rules.relevance(doc)
    judged = time.perf_counter()
    tags = tuple(rules.tags(doc)) if decision.relevant else None
    tagged = time.perf_counter()
    model = learned_of(model_path, digest, rules.threshold).read_ahead(doc, decision) if model_path else None
    return {"rules_digest": digest, "relevance": decision, "relevance_seconds": judged - started,
            "tags": tags, "tag_seconds": tagged - judged, "model": model,
            "model_seconds": time.perf_counter() - tagged if model else 0.0}


_JUDGING: dict[tuple[str | None, str], Rules] = {}


def rules_of(path: str | None, digest: str) -> Rules | None:
    """The rules at `path` if they are those of `digest`, read once per process for that digest:
    reading the files again to find them unchanged cost a few milliseconds a page. Rules of
    another digest (the file changed since the crawl read it) are not used: the crawl judges."""
    if not digest:
        return None
    key = (path, digest)
    if key not in _JUDGING:
        rules = Rules.load(path)
        if rules.digest != digest:
            return None
        _JUDGING.clear()
        _JUDGING[key] = rules
    return _JUDGING[key]


@functools.lru_cache(maxsize=1)
def learned_of(path: str, digest: str, threshold: float) -> Learned:
    """The learned model at `path` for the rules of `digest`, read once per process, as the
    crawl's relevance stage reads it once: a file it can't use is not read again for every page,
    and a model retrained during the crawl is not taken up by either (the stages take a reading
    only from the model they loaded: `Learned.takes`)."""
    return Learned.load(path, weight=0.0, threshold=threshold, rules_digest=digest)


def has_content(item: Article) -> bool:
    return bool((item.get("title") or "").strip() or (item.get("text") or "").strip())


def document(item: Article) -> Document:
    """What the rules read: the extracted plain text, not the HTML; the post's categories and
    its source's declared focus."""
    return Document(title=item.get("title") or "", summary=item.get("summary") or "",
                    text=item.get("text") or "", url=item.get("canonical_url") or item.get("url") or "",
                    categories=tuple(item.get("categories") or ()), focus=item.get("focus") or "",
                    language=item.get("language") or "")
