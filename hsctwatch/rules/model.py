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


@dataclass(frozen=True)
class Document:
    title: str
    summary: str = ""
    text: str = ""
    url: str = ""
    language: str = ""  # its language's code ("es"): the rules of that language read it; "": the main rules
    categories: tuple[str, ...] = ()  # the post's own categories or tags, as its site gives them


class RulesError(ValueError):
    """A problem in the rules file; Rules.load puts the file's name in front of it."""


