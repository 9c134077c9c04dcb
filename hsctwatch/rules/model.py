"""What the rules read and what they answer: a document, a relevance decision, tags with
their evidence."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

WHERE = ("title", "summary", "body")


@dataclass(frozen=True)
class Evidence:
    phrase: str
    where: str  # title | summary | body


@dataclass(frozen=True)
class TagMatch:
    facet: str
    slug: str
    evidence: tuple[Evidence, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"facet": self.facet, "slug": self.slug,
                "evidence": [{"phrase": e.phrase, "where": e.where} for e in self.evidence]}


@dataclass(frozen=True)
class Relevance:
    relevant: bool
    score: float
    reasons: tuple[str, ...]

    def borderline(self, threshold: float, margin: float) -> bool:
        """A near miss: left out, but within ``margin`` under the threshold — for an editor to see."""
        return not self.relevant and self.score > 0 and self.score >= threshold - margin


@dataclass(frozen=True)
class Document:
    """What the rules read. Besides the prose, the signals a page gives about itself: its own
    categories and tags (a feed's <category>, WordPress terms, JSON-LD keywords and section),
    and its source's declared focus ("hsct" for a blog or forum devoted to the treatment).
    They set the light the prose is read in; they never make an off-topic post relevant."""

    title: str
    summary: str = ""
    text: str = ""
    url: str = ""
    categories: tuple[str, ...] = ()  # the post's own categories or tags, as its site gives them
    focus: str = ""
    language: str = ""  # its language's code ("es"): the rules of that language read it; "": the main rules


class RulesError(ValueError):
    """A problem in the rules file; Rules.load puts the file's name in front of it."""


