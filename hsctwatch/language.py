"""The language of an article: told from its text, checked against what the page says.

py3langid (a fork of langid.py) ships its model inside the package, so nothing is downloaded
at run time; it reads 97 languages, and needs a few dozen words to be sure. A page also says
its language — ``<html lang>``, ``og:locale``, JSON-LD's ``inLanguage``, the feed's
``<language>``, ``xml:lang`` or ``dc:language`` — but sites get it wrong often enough (a
WordPress site set to English publishing in Spanish; a template's default) that the text has the
last word when there is enough of it. What the page said and what the text said are both kept,
so `hsct-watch explain` can show how the language was decided.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

#: Enough words for the text to outweigh what the page says, and how sure the model must be.
MIN_WORDS = 25
SURE = 0.9
#: The text read: the start of it tells the language as well as the whole, and costs less.
READ_CHARS = 3000
_TAG = re.compile(r"^\s*([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)*\s*$")
_lock = threading.Lock()


@dataclass(frozen=True)
class LanguageCheck:
    """How an article's language was decided."""

    code: str  # the language decided: a two- or three-letter code ("es"), "" when nothing tells
    detected: str = ""  # what the text reads as ("" : no text)
    confidence: float = 0.0  # how sure the model is of `detected`, 0–1
    declared: str = ""  # what the page or feed says, as a primary code ("es" for "es-MX")
    words: int = 0

    @property
    def reason(self) -> str:
        """One line on how the language was decided, for `explain`."""
        if not self.code:
            return "unknown (no text, and the page does not say)"
        if not self.detected:
            return f"{self.code} (the page says so; no text to check it against)"
        if not self.declared:
            return f"{self.code} (read from the text, {self.confidence:.2f}; the page does not say)"
        if self.declared == self.detected:
            return f"{self.code} (the page says so, and the text agrees, {self.confidence:.2f})"
        if self.code == self.declared:
            return (f"{self.code} (the page says so; the text, {self.words} words, is too short or "
                    f"unclear to tell: it reads as {self.detected}, {self.confidence:.2f})")
        return (f"{self.code} (the text reads as {self.detected}, {self.confidence:.2f}, although the "
                f"page says {self.declared})")

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "detected": self.detected, "confidence": round(self.confidence, 3),
                "declared": self.declared, "words": self.words}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LanguageCheck:
        return cls(str(data.get("code") or ""), str(data.get("detected") or ""),
                   float(data.get("confidence") or 0.0), str(data.get("declared") or ""),
                   int(data.get("words") or 0))


def primary(tag: str | None) -> str:
    """The primary language of a language tag, in lower case: "es" for "es-MX", "pt" for
    "pt_BR", "en" for "EN"; "" for anything that is not a tag."""
    m = _TAG.match(tag or "")
    return m[1].lower() if m else ""


def declared_language(*tags: str | None) -> str:
    """The first of a page's or feed's declarations that is a language tag."""
    return next((code for code in map(primary, tags) if code), "")


def decide(title: str, summary: str, text: str, declared: str | Iterable[str | None] = "") -> LanguageCheck:
    """The article's language: the text's when there is enough of it and the model is sure
    (or it agrees with the page), else what the page says, else the text's best guess."""
    said = declared_language(declared) if isinstance(declared, str) else declared_language(*declared)
    body = "\n".join(p for p in (title, summary, text) if p)
    words = len(re.findall(r"\w+", body))
    if not words:
        return LanguageCheck(said, declared=said)
    detected, confidence = detect(body[:READ_CHARS])
    unsure = words < MIN_WORDS or confidence < SURE
    code = said if said and said != detected and unsure else detected
    return LanguageCheck(code, detected, confidence, said, words)


def detect(text: str) -> tuple[str, float]:
    """The language the text reads as, and how sure the model is (0–1)."""
    with _lock:  # the identifier keeps state while it classifies
        code, confidence = _identifier().classify(text)
    return str(code), float(confidence)


@cache
def _identifier() -> Any:
    """py3langid's identifier with normalised probabilities (hsctwatch.language_model). Loading
    its model takes about two seconds, so it is loaded once per process, when first needed."""
    from py3langid.langid import MODEL_FILE

    from hsctwatch.language_model import Identifier

    return Identifier.from_model_file(MODEL_FILE, norm_probs=True)
