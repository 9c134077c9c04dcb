"""What the worker process reads ahead for an item, and a post's categories: apart from the item
(hsctwatch.crawl.items), whose module imports Scrapy, so that the worker process, which makes and
sends them, imports neither Scrapy nor what it brings (hsctwatch.crawl.worker)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hsctwatch.rules import Document, Relevance, TagMatch
from hsctwatch.scraped import clean_line

if TYPE_CHECKING:  # read only where a learned model is used
    from hsctwatch.rules.learned import ModelReading

MAX_CATEGORIES = 30  # a page's own labels: a few; more is a tag cloud
MAX_CATEGORY_CHARS = 100


def categories(*groups: Iterable[Any]) -> list[str]:
    """A post's categories from every place that gives them, in order: cleaned (scraped
    text), without repeats (whatever their case) and within sensible bounds."""
    seen: set[str] = set()
    out: list[str] = []
    for group in groups:
        for value in group or ():
            name = clean_line(str(value))[:MAX_CATEGORY_CHARS].strip() if isinstance(value, str) else ""
            if name and name.casefold() not in seen and len(out) < MAX_CATEGORIES:
                seen.add(name.casefold())
                out.append(name)
    return out


@dataclass(frozen=True)
class Judgement:
    """What the worker process (hsctwatch.crawl.worker) found for the story an item will most
    likely make, while it read the page on a second core: relevance, tags and the near-duplicate
    signature. It travels on the item (the `judgement` field) and the relevance, tag and dedup
    stages take their part of it only when it was made for the very document and rules they
    have; otherwise they work it out themselves. The store stage drops it: it is not stored."""

    document: Document  # what was judged
    rules_digest: str  # under the rules file of this digest ("": relevance and tags not judged)
    relevance: Relevance | None = None
    relevance_seconds: float = 0.0
    tags: tuple[TagMatch, ...] | None = None  # None: not relevant, or not judged
    tag_seconds: float = 0.0
    signature: Any = None  # the MinHash hash values of document.text; None: too short to compare
    fingerprints: Any = None  # its opening's fingerprints (hsctwatch.stories.neardup), with a signature
    shingled: Any = None  # what the partial-copy check compares of it (neardup.shingled), with a signature
    signature_seconds: float = 0.0  # for the three
    model: ModelReading | None = None  # the learned model's reading, when a model is used
    model_seconds: float = 0.0

    def relevance_for(self, document: Document, rules_digest: str) -> tuple[Relevance, float] | None:
        """The relevance decision and the seconds it took, if made for this document and rules."""
        if self.relevance is None or not self._same(document, rules_digest):
            return None
        return self.relevance, self.relevance_seconds

    def tags_for(self, document: Document, rules_digest: str) -> tuple[tuple[TagMatch, ...], float] | None:
        if self.tags is None or not self._same(document, rules_digest):
            return None
        return self.tags, self.tag_seconds

    def model_for(self, document: Document) -> tuple[ModelReading, float] | None:
        """The learned model's reading and the seconds it took, if made for this document (the
        relevance and tag stages take it only from the model of the same file: `Learned.takes`)."""
        if self.model is None or document != self.document:
            return None
        return self.model, self.model_seconds

    def signature_for(self, text: str) -> tuple[Any, float] | None:
        """The signature's hash values (None for a text too short) and its seconds, if made for
        this text."""
        return (self.signature, self.signature_seconds) if text == self.document.text else None

    def _same(self, document: Document, rules_digest: str) -> bool:
        return bool(rules_digest) and rules_digest == self.rules_digest and document == self.document
