"""Relevance and tags, read from the editorial rules file (hsctwatch/rules.toml).

The vocabulary is data, so that editors change it without code. What is code here is how the
words are read in context, because counting keywords is not enough for this feed: an MS news
story naming HSCT once in a list of drugs, a lymphoma study naming MS once in a list of
diseases, and a patient's blog about her transplant use the same words. So a document is read
the way a person reads it, part by part (headline, standfirst, paragraphs) and sentence by
sentence: where the names occur, how often, whether HSCT and MS are discussed in the same
paragraph, whether HSCT is one item of a list of options, whether the transplant is for
another disease, whether "MS" or "HSCT" means something else. Every decision has a score and
reasons a person can check, and every tag the phrases that triggered it, and where.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property, lru_cache
from importlib import resources
from pathlib import Path
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


class RulesError(ValueError):
    """A problem in the rules file; Rules.load puts the file's name in front of it."""


# == terms: how an editor's phrases and patterns become regular expressions ========================

_NORMAL = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "\u00a0": " ", "–": "-", "—": "-"})


def _normalize(text: str) -> str:
    """Straight quotes and plain dashes. One character for one, so that offsets found in the
    normalized text also point into the original, which evidence is quoted from."""
    return text.translate(_NORMAL)


_SEPARATOR = r"['\"]?[\s-]+['\"]?"  # between the words of a phrase


def phrase_regex(phrase: str) -> str:
    """A plain phrase as a regex: whole words, any case, a space or hyphen between words (and a
    quotation mark: chemo 'reboot' of immune system), a final * for any ending — so that editors
    can add synonyms without knowing regular expressions."""
    words = [w for w in re.split(r"[\s-]+", _normalize(phrase).strip()) if w]
    parts = [r"\S+" if w == "*" else re.escape(w[:-1]) + r"\w*" if w.endswith("*") else re.escape(w)
             for w in words]
    regex = _SEPARATOR.join(parts)
    if phrase[:1].isalnum():
        regex = r"\b" + regex
    if phrase[-1:].isalnum():
        regex += r"\b"
    return regex


def _strings(where: str, value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RulesError(f"{where} must be a list of strings")
    return value


def _compile(where: str, regexes: list[str], flags: int) -> re.Pattern[str] | None:
    for regex in regexes:  # one by one first, so that the message names the broken one
        try:
            re.compile(regex, flags)
        except re.error as exc:
            raise RulesError(f"{where}: {regex!r} is not a valid regular expression ({exc})") from None
    return re.compile(_alternation(regexes, flags), flags) if regexes else None


def _alternation(regexes: list[str], flags: int) -> str:
    """``(?:r1)|(?:r2)|…``, written so that Python's regex engine scans it fast, matching exactly
    the same. The engine tries every alternative at every position of the text; here the
    alternatives that start with a word boundary and a plain letter or digit (most phrases) are
    grouped under one boundary, by that first character: ``\\b(?:a(?:…|…)|h(?:…))``. At a
    position, at most one group can match (the first characters differ, in any case), and within
    a group the alternatives keep their order, so the first alternative that matches is still the
    one that wins. Other alternatives stay where they are, between such runs. A pattern with a
    group of its own (which a back-reference could name) is left as it is."""
    plain = "|".join(f"(?:{r})" for r in regexes)
    if any(re.compile(r, flags).groups for r in regexes):
        return plain
    out: list[str] = []
    run: dict[str, list[str]] = {}
    for regex in regexes:
        first = regex[2:3]
        if (regex.startswith(r"\b") and first.isascii() and first.isalnum()
                and regex[3:4] not in ("*", "+", "?", "{") and not _alternates(regex)):
            run.setdefault(first.lower() if flags & re.IGNORECASE else first, []).append(regex[3:])
            continue
        if run:
            out.append(_grouped(run))
            run = {}
        out.append(f"(?:{regex})")
    if run:
        out.append(_grouped(run))
    return "|".join(out)


def _grouped(run: dict[str, list[str]]) -> str:
    return r"\b(?:" + "|".join(first + "(?:" + "|".join(rests) + ")" for first, rests in run.items()) + ")"


def _alternates(regex: str) -> bool:
    """Does the regex have a | outside any group (so that it can't be cut after its first letter)?"""
    return any(char == "|" and depth == 0 for _, char, depth in _structure(regex))


def _structure(regex: str) -> list[tuple[int, str, int]]:
    """(index, character, depth) of the regex's |, ( and ), outside escapes and classes."""
    found: list[tuple[int, str, int]] = []
    depth, i = 0, 0
    while i < len(regex):
        char = regex[i]
        if char == "\\":
            i += 1
        elif char == "[":  # a character class: to its closing ], which may come first or after ^
            i += 2 if regex[i + 1:i + 2] == "^" else 1
            i += 1 if regex[i:i + 1] == "]" else 0
            while i < len(regex) and regex[i] != "]":
                i += 2 if regex[i] == "\\" else 1
        elif char == "(":
            found.append((i, char, depth))
            depth += 1
        elif char == ")":
            depth -= 1
            found.append((i, char, depth))
        elif char == "|":
            found.append((i, char, depth))
        i += 1
    return found


class _Plan:
    """How to find a regex's matches without trying it at every position of a text: the
    alternatives that start with a word boundary and a plain word (most phrases) can only match
    where a word starts with those letters, which the text's word index tells (_Words); the
    others are looked for with one regex of them all. The regex itself is then tried only
    at those places, in order, the way `finditer` would: the same matches."""

    __slots__ = ("context_free", "exact", "keys", "others")

    def __init__(self, keys: set[tuple[str, bool]], others: list[str], flags: int):
        self.exact = not flags & re.IGNORECASE
        self.keys = tuple(sorted(keys))
        # no lookaround or anchor: whether they match at a place depends only on the words there
        self.context_free = not any(_CONTEXT.search(r) for r in others)
        self.others = re.compile("|".join(f"(?:{r})" for r in others), flags) if others else None

    def other_places(self, text: str) -> set[int]:
        """Every place where one of the other alternatives matches (overlapping matches too)."""
        places: set[int] = set()
        if self.others is None:
            return places
        at = 0
        while at <= len(text) and (m := self.others.search(text, at)):
            places.add(m.start())
            at = m.start() + 1
        return places

    @classmethod
    def of(cls, regexes: list[str], flags: int) -> _Plan | None:
        if not regexes or any(re.compile(r, flags).groups for r in regexes):
            return None  # a group of its own could be named by a back-reference: tried everywhere
        keys: set[tuple[str, bool]] = set()
        others: list[str] = []
        for regex in regexes:
            heads = _heads(regex)
            if heads is None:
                others.append(regex)
                continue
            for head, whole in heads:
                key = head[:_KEY] if not flags & re.IGNORECASE else head[:_KEY].lower()
                keys.add((key, whole and len(head) < _KEY))
        return cls(keys, others, flags)


_KEY = 3  # words are indexed by their first letters, up to this many
_CONTEXT = re.compile(r"\(\?[=!<(]|[\^$]|\\[AZ]")


def _heads(regex: str) -> list[tuple[str, bool]] | None:
    """The plain letters and digits a match of the regex starts with, after its opening word
    boundary — one for each alternative of a group it starts with (\\b(?:she|he) ...) — and
    whether they are the whole word. None when that can't be told: no boundary first, a | outside
    any group, an optional or repeated first letter or group."""
    if not regex.startswith(r"\b") or _alternates(regex):
        return None
    body, after = regex[2:], ""
    alternatives = [body]
    if body.startswith("(?:"):
        inner = _structure(body)
        close = next((i for i, char, depth in inner if char == ")" and depth == 0), -1)
        after = body[close + 1:]
        if close < 0 or after[:1] in _REPEAT:
            return None
        cuts = [i for i, char, depth in inner if char == "|" and depth == 1 and i < close]
        alternatives = [body[a + 1:b] for a, b in zip([2, *cuts], [*cuts, close], strict=True)]
    heads = []
    for alternative in alternatives:
        end = 0
        while end < len(alternative) and alternative[end].isascii() and alternative[end].isalnum():
            end += 1
        if alternative[end:end + 1] in _REPEAT:
            end -= 1  # the last letter is optional or repeated
        if end <= 0:
            return None
        heads.append((alternative[:end], _ends_word(alternative[end:] or after)))
    return heads


_REPEAT = ("*", "+", "?", "{")


def _ends_word(regex: str) -> bool:
    """Does what a regex matches first (as written) end a word: a boundary, a space, a hyphen?"""
    if regex.startswith((r"\b", _SEPARATOR)):
        return True
    return regex[:1] in (" ", "/", ",", ":", ";", "'", '"', "%", "-") and regex[1:2] not in _REPEAT


@dataclass(frozen=True)
class Terms:
    """A list of terms compiled into two regexes: the case-insensitive terms and the exact ones."""

    loose: re.Pattern[str] | None = None
    exact: re.Pattern[str] | None = None
    loose_plan: _Plan | None = field(default=None, compare=False, repr=False)
    exact_plan: _Plan | None = field(default=None, compare=False, repr=False)

    @classmethod
    def read(cls, where: str, table: Mapping[str, Any], phrases: str = "phrases",
             patterns: str = "patterns", exact: str = "exact") -> Terms:
        loose = [phrase_regex(p) for p in _strings(f"{where} {phrases}", table.get(phrases))]
        loose += [_normalize(p) for p in _strings(f"{where} {patterns}", table.get(patterns))]
        strict = [_normalize(p) for p in _strings(f"{where} {exact}", table.get(exact))]
        return cls(_compile(where, loose, re.IGNORECASE), _compile(where, strict, 0),
                   _Plan.of(loose, re.IGNORECASE), _Plan.of(strict, 0))

    @classmethod
    def of_phrases(cls, where: str, phrases: Any) -> Terms:
        return cls.read(where, {"phrases": phrases})

    def __bool__(self) -> bool:
        return bool(self.loose or self.exact)

    def matches(self, text: str) -> _Found:
        """(start, end, exact) of matches that do not overlap, in order; a loose match wins."""
        return _combine([([m.span() for m in pattern.finditer(text)], exact)
                         for pattern, exact in ((self.loose, False), (self.exact, True))
                         if pattern is not None])

    def spans(self, text: str, shouty: bool = False) -> list[tuple[int, int]]:
        """Matches that do not overlap, in order. Exact terms are skipped in ALL-CAPS text, where
        "MOST" or "MS" is only a shouted word."""
        return [(a, b) for a, b, exact in self.matches(text) if not (exact and shouty)]

    def search(self, text: str) -> bool:
        return bool((self.loose and self.loose.search(text)) or (self.exact and self.exact.search(text)))

    def count(self, text: str) -> int:
        return len(self.spans(text))


_Found = list[tuple[int, int, bool]]  # (start, end, exact) of the matches of some terms


def _combine(runs: list[tuple[list[tuple[int, int]], bool]]) -> _Found:
    """The loose regex's matches, then the exact regex's that overlap none of them."""
    found: _Found = []
    for spans, exact in runs:
        taken = sorted(found)
        for a, b in spans:
            i = bisect_right(taken, (a, b, True))
            if b > a and not any(x < b and a < y for x, y, _ in taken[max(0, i - 1):i + 1]):
                found.append((a, b, exact))
    return sorted(found)


def _cue_before(where: str, cues: Any) -> re.Pattern[str] | None:
    """Words that disqualify a mention right after them. Names, "and", "the" and commas may
    stand between, so that "from Germany and the UK" is still "from" for the UK."""
    regexes = [phrase_regex(c) for c in _strings(where, cues)]
    if not regexes:
        return None
    between = r"(?:[\s,]+(?:(?-i:[A-Z][\w'.-]*)|and|or|the))*[\s,]*$"  # a name: capitalised
    return _compile(where, [f"(?:{'|'.join(regexes)}){between}"], re.IGNORECASE)


def _cue_after(where: str, cues: Any) -> re.Pattern[str] | None:
    regexes = [phrase_regex(c) for c in _strings(where, cues)]
    return _compile(where, [rf"^[\s,]*(?:{'|'.join(regexes)})"], re.IGNORECASE) if regexes else None


# == the document, split the way people read it ====================================================


@dataclass(frozen=True)
class _Sentence:
    where: str
    part: int
    start: int  # where it starts in the whole document's text
    text: str  # normalized, as long as raw
    raw: str

    @cached_property
    def shouty(self) -> bool:
        letters = len(_LETTER.findall(self.text))
        return letters > 12 and len(_UPPER.findall(self.text)) > 0.6 * letters


@dataclass(frozen=True)
class _Part:
    where: str
    index: int
    text: str
    raw: str
    sentences: tuple[_Sentence, ...]
    start: int = 0  # where it starts in the whole document's text


_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’')]*(\s+)(?=[\"“‘(]?[A-Z0-9])|(\n+)")
_LETTER = re.compile(r"[^\W\d_]")
_UPPER = re.compile(r"[A-ZÀ-Þ]")


def _split_sentences(where: str, index: int, raw: str, offset: int) -> tuple[_Sentence, ...]:
    chunks, start = [], 0
    for m in _SENTENCE_END.finditer(raw):
        gap = m.start(1) if m.group(1) is not None else m.start(2)
        chunks.append((start, raw[start:gap]))
        start = m.end()
    chunks.append((start, raw[start:]))
    return tuple(_Sentence(where, index, offset + at, _normalize(c), c) for at, c in chunks if c.strip())


@dataclass(frozen=True)
class _View:
    parts: tuple[_Part, ...]

    @classmethod
    def of(cls, doc: Document) -> _View:
        """The document split into parts and sentences. The relevance and tag stages read the
        same document one after the other: the last few are kept, not split again."""
        return _view_of(doc)

    @cached_property
    def text(self) -> str:
        return "\n\n".join(p.text for p in self.parts)  # the offsets above count the "\n\n"

    @cached_property
    def sentences(self) -> tuple[_Sentence, ...]:
        return tuple(s for p in self.parts for s in p.sentences)

    @cached_property
    def _starts(self) -> list[int]:
        return [s.start for s in self.sentences]

    def mentions(self, terms: Terms) -> dict[int, list[tuple[int, int]]]:
        """The terms' matches by sentence (index in `sentences`, offsets within the sentence),
        found in one pass over the whole text rather than one per sentence."""
        found: dict[int, list[tuple[int, int]]] = {}
        for a, b, exact in self.matches(terms, 0, self.text):
            i = bisect_right(self._starts, a) - 1
            if i < 0:
                continue
            sentence = self.sentences[i]
            if b > sentence.start + len(sentence.text) or (exact and sentence.shouty):
                continue
            found.setdefault(i, []).append((a - sentence.start, b - sentence.start))
        return found

    # -- the terms' matches in the whole text, a part or a sentence -----------------------------
    # Each is what `terms.matches` (and so `spans`, `count`, `search`) gives for that text alone,
    # found with the word index instead of trying every regex at every position.

    def matches(self, terms: Terms, start: int, text: str) -> _Found:
        """`terms.matches(text)`, for the text found at `start` in the whole document's text."""
        return _combine([(self._spans(pattern, plan, start, text), exact)
                         for pattern, plan, exact in ((terms.loose, terms.loose_plan, False),
                                                      (terms.exact, terms.exact_plan, True))
                         if pattern is not None])

    def spans(self, terms: Terms, sentence: _Sentence | None = None,
              shouty: bool = False) -> list[tuple[int, int]]:
        """`terms.spans(text, shouty and sentence.shouty)` for a sentence, or the whole text."""
        if sentence is None:
            found = self.matches(terms, 0, self.text)
        else:
            known = self._by_sentence(terms).get(sentence.start)
            if known is not None and known[0] is sentence:
                found = known[1]
            elif sentence.start in self._sentence_at and self._sentence_at[sentence.start] is sentence:
                found = []  # one of this view's sentences, without a match
            else:
                found = self.matches(terms, sentence.start, sentence.text)
        if shouty and sentence and any(exact for _, _, exact in found) and sentence.shouty:
            return [(a, b) for a, b, exact in found if not exact]
        return [(a, b) for a, b, _ in found]

    def _by_sentence(self, terms: Terms) -> dict[int, tuple[_Sentence, _Found]]:
        """`terms.matches(sentence.text)` for every sentence that has any, by where it starts:
        found for all sentences at once, from the places where the terms can match."""
        known = self._sentence_matches.get(id(terms))
        if known is not None and known[0] is terms:
            return known[1]
        runs = [(self._sentence_spans(pattern, plan), exact)
                for pattern, plan, exact in ((terms.loose, terms.loose_plan, False),
                                             (terms.exact, terms.exact_plan, True))
                if pattern is not None]
        found: dict[int, tuple[_Sentence, _Found]] = {}
        for i in sorted({i for spans, _ in runs for i in spans}):
            sentence = self.sentences[i]
            matches = _combine([(spans.get(i, []), exact) for spans, exact in runs])
            if matches:
                found[sentence.start] = (sentence, matches)
        self._sentence_matches[id(terms)] = (terms, found)
        return found

    def _sentence_spans(self, pattern: re.Pattern[str],
                        plan: _Plan | None) -> dict[int, list[tuple[int, int]]]:
        """The spans of `pattern.finditer(sentence.text)` for every sentence (by index) with any."""
        sentences, starts = self.sentences, self._starts
        if plan is None:
            every = {i: [m.span() for m in pattern.finditer(s.text)] for i, s in enumerate(sentences)}
            return {i: spans for i, spans in every.items() if spans}
        places = self._places(plan, 0, self.text)
        each = plan.others is not None and not plan.context_free
        if plan.others is not None and plan.context_free:
            # where a lookaround-free regex matches in a sentence alone, it matches in the whole
            # text (the sentence is between spaces): the places in the whole text are enough
            places = sorted(plan.other_places(self.text).union(places))
        local: dict[int, list[int]] = {}
        for at in places:
            i = bisect_right(starts, at) - 1
            if i >= 0 and at <= starts[i] + len(sentences[i].text):
                local.setdefault(i, []).append(at - starts[i])
        found: dict[int, list[tuple[int, int]]] = {}
        for i in range(len(sentences)) if each else local:
            sentence = sentences[i]
            if not self._isolated(sentence.start, sentence.text):
                spans = [m.span() for m in pattern.finditer(sentence.text)]
            else:
                here = local.get(i, [])
                if each and plan.others is not None:
                    here = sorted(plan.other_places(sentence.text).union(here))
                spans = _finditer(pattern, sentence.text, here)
            if spans:
                found[i] = spans
        return found

    def has(self, terms: Terms, start: int = 0, text: str | None = None) -> bool:
        """`terms.search(text)`, for the text at `start` (the whole document's text by default)."""
        text = self.text if text is None else text
        for pattern, plan in ((terms.loose, terms.loose_plan), (terms.exact, terms.exact_plan)):
            if pattern is None:
                continue
            if plan is None or not self._isolated(start, text):
                if pattern.search(text):
                    return True
            elif (plan.others and plan.others.search(text)) or any(
                    pattern.match(text, at) for at in self._places(plan, start, text)):
                return True
        return False

    def _spans(self, pattern: re.Pattern[str], plan: _Plan | None, start: int,
               text: str) -> list[tuple[int, int]]:
        """The spans of `pattern.finditer(text)`."""
        if plan is None or not self._isolated(start, text):
            return [m.span() for m in pattern.finditer(text)]
        places = self._places(plan, start, text)
        if plan.others:
            places = sorted(plan.other_places(text).union(places))
        return _finditer(pattern, text, places)

    def _places(self, plan: _Plan, start: int, text: str) -> list[int]:
        """Where in the text a word starts with one of the plan's keys (offsets within the text)."""
        places = self._plan_places.get(plan)
        if places is None:
            words = self._words
            found = set() if plan.exact else set(words.anywhere)
            for key, whole in plan.keys:
                found.update(words.places(key, plan.exact, whole))
            places = self._plan_places[plan] = sorted(found)
        if start == 0 and len(text) == len(self.text):
            return places
        end = start + len(text)
        return [at - start for at in places[bisect_left(places, start):bisect_left(places, end)]]

    def _isolated(self, start: int, text: str) -> bool:
        """Is the text found at `start`, between non-word characters (so that its words are the
        index's words: a part or a sentence is)?"""
        whole, end = self.text, start + len(text)
        return (whole.startswith(text, start) and (start == 0 or not _is_word(whole[start - 1]))
                and (end == len(whole) or not _is_word(whole[end])))

    @cached_property
    def _words(self) -> _Words:
        return _Words(self.text)

    @cached_property
    def _plan_places(self) -> dict[_Plan, list[int]]:
        return {}

    @cached_property
    def _sentence_at(self) -> dict[int, _Sentence]:
        return {s.start: s for s in self.sentences}

    @cached_property
    def _sentence_matches(self) -> dict[int, tuple[Terms, dict[int, tuple[_Sentence, _Found]]]]:
        return {}

    @cached_property
    def lede(self) -> frozenset[int]:
        """The standfirst and the first paragraph: where an article says what it is about."""
        summary = [p.index for p in self.parts if p.where == "summary"]
        body = [p.index for p in self.parts if p.where == "body"]
        return frozenset(summary + body[:1])


def _finditer(pattern: re.Pattern[str], text: str, places: list[int]) -> list[tuple[int, int]]:
    """The spans of `pattern.finditer(text)`, given every place (in order) where a match can
    start: the pattern is tried there only, the way finditer goes on after each match."""
    spans: list[tuple[int, int]] = []
    end = 0
    for at in places:
        if at < end:
            continue
        m = pattern.match(text, at)
        if m is None:
            continue
        if m.end() == at:  # an empty match: finditer's own rules for what comes next
            return [m.span() for m in pattern.finditer(text)]
        spans.append(m.span())
        end = m.end()
    return spans


def _is_word(char: str) -> bool:
    """What the regex engine's \\w matches."""
    return char.isalnum() or char == "_"


_WORD = re.compile(rf"(\w{{1,{_KEY}}})\w*")


@cache
def _like_ascii(char: str) -> bool:
    """Could the regex engine, ignoring case, take this non-ASCII character for an ASCII letter?
    It does for a few (İ and ı for i, ſ for s, the Kelvin sign for k): answered generously, from
    every case mapping of the character."""
    cases = char.lower() + char.upper() + char.casefold() + char.title()
    return any(c.isascii() and c.isalnum() for c in cases)


class _Words:
    """Where each word of a text starts, by its first letters (up to _KEY of them): as written
    (for exact terms) and in lower case (for the others). A word whose first letters the regex
    engine might read as other ASCII letters when ignoring case is a place for every loose term."""

    __slots__ = ("anywhere", "exact", "loose", "shorter")

    def __init__(self, text: str):
        self.exact: dict[str, list[int]] = {}
        self.loose: dict[str, list[int]] = {}
        self.anywhere: list[int] = []
        self.shorter: dict[bool, dict[str, list[int]]] = {}
        exact = self.exact
        for m in _WORD.finditer(text):
            head = m[1]
            if head in exact:
                exact[head].append(m.start())
            else:
                exact[head] = [m.start()]
        for head, places in exact.items():
            if head.isascii():
                key = head.lower()
            elif any(not c.isascii() and _like_ascii(c) for c in head):
                self.anywhere.extend(places)
                continue
            else:
                key = head.translate(_ASCII_LOWER)
            self.loose[key] = self.loose[key] + places if key in self.loose else places

    def places(self, key: str, exact: bool, whole: bool = False) -> list[int]:
        """Where a word starts with the key (in lower case, unless exact), or is the key (whole);
        not in order."""
        index = self.exact if exact else self.loose
        if len(key) == _KEY or whole:
            return index.get(key, [])
        if exact not in self.shorter:  # by the first one or two letters, made when first asked
            shorter: dict[str, list[int]] = {}
            for head, places in index.items():
                for n in range(1, min(len(head), _KEY - 1) + 1):
                    shorter.setdefault(head[:n], []).extend(places)
            self.shorter[exact] = shorter
        return self.shorter[exact].get(key, [])


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


@lru_cache(maxsize=8)
def _view_of(doc: Document) -> _View:
    raws = [("title", (doc.title or "").strip())]
    if (doc.summary or "").strip():
        raws.append(("summary", doc.summary.strip()))
    raws += [("body", p.strip()) for p in re.split(r"\n\s*\n", doc.text or "") if p.strip()]
    parts, offset = [], 0
    for i, (where, raw) in enumerate(raws):
        parts.append(_Part(where, i, _normalize(raw), raw, _split_sentences(where, i, raw, offset), offset))
        offset += len(raw) + 2
    return _View(tuple(parts))


# == reading the rules file ========================================================================


def _table(data: Mapping[str, Any], key: str, where: str = "") -> dict[str, Any]:
    value = data.get(key)
    if not isinstance(value, dict):
        raise RulesError(f"missing table [{where + key}]")
    return value


@dataclass(frozen=True)
class _Trigger:
    """One way a tag is given: terms, where they count, how many sentences, in what context."""

    terms: Terms
    min: int = 1
    where: frozenset[str] = frozenset(WHERE)
    near: Terms = field(default_factory=Terms)
    near_within: int = 0  # words either side; 0: anywhere in the sentence
    unless: Terms = field(default_factory=Terms)
    not_after: re.Pattern[str] | None = None
    not_before: re.Pattern[str] | None = None
    enough_with: Terms = field(default_factory=Terms)

    @classmethod
    def read(cls, where: str, raw: Mapping[str, Any], defaults: Mapping[str, Any]) -> _Trigger:
        merged = {**defaults, **raw}
        places = _strings(f"{where} where", merged.get("where", list(WHERE)))
        if not places or set(places) - set(WHERE):
            raise RulesError(f"{where}: 'where' must list some of {', '.join(WHERE)}")
        minimum = merged.get("min", 1)
        if not isinstance(minimum, int) or minimum < 1:
            raise RulesError(f"{where}: 'min' must be a whole number, 1 or more")
        within = merged.get("near_within", 0)
        if not isinstance(within, int) or within < 0:
            raise RulesError(f"{where}: 'near_within' must be a whole number of words")
        return cls(
            terms=Terms.read(where, raw), min=minimum, where=frozenset(places),
            near=Terms.of_phrases(f"{where} near", merged.get("near")), near_within=within,
            unless=Terms.of_phrases(f"{where} unless", merged.get("unless")),
            not_after=_cue_before(f"{where} not_after", merged.get("not_after")),
            not_before=_cue_after(f"{where} not_before", merged.get("not_before")),
            enough_with=Terms.of_phrases(f"{where} enough_with", merged.get("enough_with")),
        )

    def allows(self, sentence: str, start: int, end: int) -> bool:
        if self.not_after and self.not_after.search(sentence[max(0, start - 80):start]):
            return False
        if self.not_before and self.not_before.search(sentence[end:end + 40]):
            return False
        return not self.near or self.near.search(self._around(sentence, start, end))

    def _around(self, sentence: str, start: int, end: int) -> str:
        """The words near a mention: `near_within` words either side, or the whole sentence."""
        if not self.near_within:
            return sentence
        before = sentence[:start].split()[-self.near_within:]
        after = sentence[end:].split()[:self.near_within]
        return " ".join([*before, sentence[start:end], *after])


@dataclass(frozen=True)
class _TagRule:
    slug: str
    facet: str
    label: str
    triggers: tuple[_Trigger, ...]
    form: Mapping[str, Any]


TRIGGER_KEYS = frozenset({"phrases", "patterns", "exact", "min", "where", "near", "near_within", "unless",
                          "not_after", "not_before", "enough_with"})
FORM_KEYS = frozenset({"form", "first_person_min", "first_person_share", "qa_lines_min", "quotes_min"})
TAG_KEYS = TRIGGER_KEYS | FORM_KEYS | {"slug", "facet", "label", "triggers", "centres"}
FORMS = ("first-person", "question-answer")


def _read_tag(index: int, raw: Any, facet_defaults: Mapping[str, Any], seen: set[str]) -> _TagRule:
    if not isinstance(raw, dict):
        raise RulesError(f"tag #{index + 1} must be a table ([[tags]])")
    slug = raw.get("slug")
    if not isinstance(slug, str) or not re.fullmatch(r"[a-z0-9][a-z0-9-]*", slug):
        raise RulesError(f"tag #{index + 1} needs a slug of lowercase letters, digits and -")
    if slug in seen:
        raise RulesError(f"tag '{slug}' is defined twice; slugs are unique across facets")
    seen.add(slug)
    where = f"tag '{slug}'"
    if not isinstance(raw.get("facet"), str) or not raw["facet"]:
        raise RulesError(f"{where} needs a facet")
    if not isinstance(raw.get("label", slug), str):
        raise RulesError(f"{where}: label must be a string")
    unknown = set(raw) - TAG_KEYS
    if unknown:
        raise RulesError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    if raw.get("form") is not None and raw["form"] not in FORMS:
        raise RulesError(f"{where}: form must be one of {', '.join(FORMS)}")
    defaults = facet_defaults.get(raw["facet"], {})
    triggers = []
    if any(k in raw for k in ("phrases", "patterns", "exact")):
        triggers.append(_Trigger.read(where, {k: v for k, v in raw.items() if k in TRIGGER_KEYS}, defaults))
    if raw.get("centres"):
        triggers.append(_Trigger.read(f"{where} centres", {"phrases": raw["centres"]}, {}))
    for n, extra in enumerate(raw.get("triggers", [])):
        if not isinstance(extra, dict) or set(extra) - TRIGGER_KEYS:
            raise RulesError(f"{where} trigger #{n + 1}: use only {', '.join(sorted(TRIGGER_KEYS))}")
        triggers.append(_Trigger.read(f"{where} trigger #{n + 1}", extra, defaults))
    form = {k: raw[k] for k in FORM_KEYS if k in raw}
    return _TagRule(slug, raw["facet"], raw.get("label", slug), tuple(triggers), form)


# == what a part of the article says ===============================================================


@dataclass(frozen=True)
class _Mention:
    text: str
    sentence: int
    secondary: bool = False  # one item of a list, or MS named only as a comparison


@dataclass
class _Reading:
    """What one part (headline, standfirst, paragraph) says about HSCT, MS and other diseases."""

    part: _Part
    procedure: list[_Mention] = field(default_factory=list)
    strong: int = 0
    ms: list[_Mention] = field(default_factory=list)
    diseases: list[str] = field(default_factory=list)
    cells: list[str] = field(default_factory=list)

    @property
    def free_procedure(self) -> list[_Mention]:
        return [m for m in self.procedure if not m.secondary]

    @property
    def free_ms(self) -> list[_Mention]:
        return [m for m in self.ms if not m.secondary]

    def discusses(self, ms_is_subject: bool) -> bool:
        """Is the transplant discussed here as a treatment for MS (not for another disease)?"""
        if not self.free_procedure:
            return False
        ms, other = len(self.free_ms), len(self.diseases)
        return ms > other or (ms == other == 0 and ms_is_subject)


# == the rules =====================================================================================


class Rules:
    """The editorial rules, ready to apply."""

    def __init__(self, data: Mapping[str, Any], path: str = "rules"):
        self.path = path
        self.digest = ""  # of the file's text, when loaded from one: tells two loads apart
        self._read_relevance(data)
        self._read_vocabulary(data)
        self._read_tags(data)

    # -- loading -----------------------------------------------------------------------------------

    @classmethod
    def load(cls, path: str | Path | None = None) -> Rules:
        """The shipped rules, or an editor's file. A bad file is a ValueError that names it."""
        return _rules_from(cls, *_rules_text(path))

    def _read_relevance(self, data: Mapping[str, Any]) -> None:
        relevance = _table(data, "relevance")
        try:
            self.threshold = float(relevance.get("threshold", 0.5))
            self.weights = {k: float(v) for k, v in relevance.get("weights", {}).items()}
            self.penalties = {k: float(v) for k, v in relevance.get("penalties", {}).items()}
        except (TypeError, ValueError):
            raise RulesError("[relevance] threshold, weights and penalties must be numbers") from None
        for table, needed in (("weights", {"headline_procedure", "headline_ms", "headline_both",
                                           "lede_procedure", "mention", "paragraph_cap",
                                           "discussion_cap", "same_sentence"}),
                              ("penalties", {"other_disease", "other_cells", "passing"})):
            missing = needed - set(getattr(self, table))
            if missing:
                raise RulesError(f"[relevance.{table}] is missing {', '.join(sorted(missing))}")

    def _read_vocabulary(self, data: Mapping[str, Any]) -> None:
        procedure = _table(data, "procedure")
        weak = _table(procedure, "weak", "procedure.")
        ms = _table(data, "ms")
        negative = _table(data, "negative")
        self.procedure = Terms.read("[procedure]", procedure)
        self.weak_procedure = Terms.read("[procedure.weak]", weak)
        self.weak_not_after = _cue_before("[procedure.weak] not_after", weak.get("not_after"))
        self.chemo = Terms.of_phrases("[procedure.weak] context", weak.get("context"))
        self.ms = Terms.read("[ms]", ms)
        spelled = [p for p in _strings("[ms] phrases", ms.get("phrases")) if "ms" not in p.lower().split()]
        self.ms_spelled = Terms.of_phrases("[ms] phrases", spelled)
        not_ms = [_normalize(p) for p in _strings("[ms] not_ms", ms.get("not_ms"))]
        self.not_ms = _compile("[ms] not_ms", not_ms, 0)
        self.senses = {abbr: Terms.of_phrases(f"[senses] {abbr}", names)
                       for abbr, names in data.get("senses", {}).items()}
        self.diseases = Terms.read("[negative]", negative, phrases="other_diseases",
                                   exact="other_disease_exact")
        self.cells = Terms.of_phrases("[negative] other_cells", negative.get("other_cells"))
        self.contrast = Terms.of_phrases("[negative] contrast", negative.get("contrast"))
        options = negative.get("options", {})
        self.options = Terms.read("[negative.options]", options)
        self.list_markers = Terms.of_phrases("[negative.options] markers", options.get("markers"))
        secondary = negative.get("secondary_ms", {}).get("patterns")
        self.secondary_ms = _compile("[negative.secondary_ms]",
                                     _strings("[negative.secondary_ms] patterns", secondary), re.IGNORECASE)
        pages = data.get("non_article", {})
        self.page_min = int(pages.get("min", 2))
        self.page_max_prose = int(pages.get("max_prose", 1))
        self.page_kinds = {kind: Terms.of_phrases(f"[non_article.kinds] {kind!r}", signs)
                           for kind, signs in pages.get("kinds", {}).items()}

    def _read_tags(self, data: Mapping[str, Any]) -> None:
        raw_tags = data.get("tags", [])
        if not isinstance(raw_tags, list) or not raw_tags:
            raise RulesError("no tags: add [[tags]] tables")
        tagging = data.get("tagging", {})
        self.headline_counts = int(tagging.get("headline_counts", 2))
        self.dense_terms = int(tagging.get("dense_terms", 3))
        facet_defaults = data.get("facets", {})
        seen: set[str] = set()
        self.tag_rules = [_read_tag(i, raw, facet_defaults, seen) for i, raw in enumerate(raw_tags)]

    @cached_property
    def _by_slug(self) -> dict[str, _TagRule]:
        return {t.slug: t for t in self.tag_rules}

    @property
    def facets(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for rule in self.tag_rules:
            out.setdefault(rule.facet, []).append(rule.slug)
        return out

    def label(self, slug: str) -> str:
        return self._by_slug[slug].label

    def facet(self, slug: str) -> str:
        return self._by_slug[slug].facet

    # -- relevance --------------------------------------------------------------------------------

    def relevance(self, doc: Document) -> Relevance:
        """Is HSCT for MS the article's subject, or a substantial part of it (a paragraph or more)?"""
        view = _View.of(doc)
        page = self._non_article(view)
        if page:
            return Relevance(False, 0.0, (f"not an article: {page}",))
        senses = self._senses(view)
        reasons = [f"'{abbr}' here means {name}" for abbr, name in senses.items()]
        readings = self._read(view, senses)
        if not any(r.procedure for r in readings):
            return Relevance(False, 0.0, (*reasons, "HSCT (or a name for it) is never named"))
        if not any(r.ms for r in readings):
            return Relevance(False, 0.0, (*reasons, "multiple sclerosis is never named"))
        score, discussed = self._score(view, readings, reasons)
        score = round(min(self._penalise(view, readings, discussed, score, reasons), 1.0), 3)
        relevant = score >= self.threshold
        reasons.append(f"score {score:.2f} {'≥' if relevant else '<'} threshold {self.threshold:.2f}")
        return Relevance(relevant, score, tuple(reasons))

    def _non_article(self, view: _View) -> str | None:
        """A login wall, cookie notice, search results, tag index or event listing: signs of such
        a page, and hardly any prose."""
        signs = Counter({kind: len(view.spans(terms)) for kind, terms in self.page_kinds.items()})
        if sum(signs.values()) < self.page_min:
            return None
        prose = [p for p in view.parts[1:] if len(p.text.split()) >= 25
                 and not any(view.has(terms, p.start, p.text) for terms in self.page_kinds.values())]
        return None if len(prose) > self.page_max_prose else signs.most_common(1)[0][0]

    def _senses(self, view: _View) -> dict[str, str]:
        """Abbreviations this article uses in another sense: spelled out as something else
        ("mass spectrometry (MS)"), or that sense named while the disease is never written out."""
        own = {"MS": self.ms_spelled, "HSCT": self.procedure}
        found: dict[str, str] = {}
        for abbr, names in self.senses.items():
            spans = view.spans(names)
            if not spans:
                continue
            name = view.text[spans[0][0]:spans[0][1]]
            terms = own.get(abbr, Terms())
            own_written = [s for s in view.spans(terms) if not _is_abbreviation(view.text, s, abbr)]
            if any(_defines(view.text, s, abbr) for s in spans) and not any(
                    _defines(view.text, s, abbr) for s in own_written) or not own_written:
                found[abbr] = name
        return found

    def _read(self, view: _View, senses: dict[str, str]) -> list[_Reading]:
        chemo_in_doc = view.has(self.chemo)
        strong_in_doc = "HSCT" not in senses and view.has(self.procedure)
        readings = []
        for part in view.parts:
            chemo = chemo_in_doc if part.where == "title" else view.has(self.chemo, part.start, part.text)
            weak_ok = bool(strong_in_doc or chemo)
            reading = _Reading(part)
            items = _list_items(part.sentences)
            for n, sentence in enumerate(part.sentences):
                self._read_sentence(view, reading, n, sentence, senses, weak_ok, n in items)
            readings.append(reading)
        return readings

    def _read_sentence(self, view: _View, reading: _Reading, n: int, sentence: _Sentence,
                       senses: dict[str, str], weak_ok: bool, list_item: bool = False) -> None:
        text = sentence.text
        cells = [text[a:b] for a, b in view.spans(self.cells, sentence)]
        listed = list_item or self._is_list(view, sentence)
        strong = [(a, b) for a, b in view.spans(self.procedure, sentence, shouty=True)
                  if not ("HSCT" in senses and _is_abbreviation(text, (a, b), "HSCT"))]
        reading.cells += cells
        reading.strong += len(strong)
        reading.procedure += [_Mention(text[a:b], n, listed) for a, b in strong]
        if weak_ok and not cells:
            for a, b in view.spans(self.weak_procedure, sentence):
                if any(x < b and a < y for x, y in strong) or (
                        self.weak_not_after and self.weak_not_after.search(text[max(0, a - 40):a])):
                    continue
                reading.procedure.append(_Mention(text[a:b], n, listed))
        diseases = [text[a:b] for a, b in view.spans(self.diseases, sentence, shouty=True)]
        reading.diseases += diseases
        elsewhere = [m.span() for m in self.not_ms.finditer(text)] if self.not_ms else []
        for a, b in view.spans(self.ms, sentence, shouty=True):
            if any(x <= a < y for x, y in elsewhere) or ("MS" in senses and text[a:b] == "MS"):
                continue
            secondary = len(diseases) >= 2 or bool(self.secondary_ms and self.secondary_ms.search(text[:a]))
            reading.ms.append(_Mention(text[a:b], n, secondary))

    def _is_list(self, view: _View, sentence: _Sentence) -> bool:
        """Is this sentence a list of treatment options, HSCT one item among drugs?"""
        items = len(view.spans(self.options, sentence))
        if items == 0 or _COMPARISON.search(sentence.text):
            return False
        return items >= 2 or view.has(self.list_markers, sentence.start, sentence.text)

    def _score(self, view: _View, readings: list[_Reading],
               reasons: list[str]) -> tuple[float, list[_Reading]]:
        w, title = self.weights, readings[0]
        score = 0.0
        lede = [r for r in readings if r.part.index in view.lede]
        lede_elsewhere = any(r.diseases and not r.free_ms for r in lede)  # the lede names another disease
        # a bare "transplant" in a headline is read in the light of the lede
        if title.free_procedure and not (title.diseases and not title.free_ms) and not (
                title.strong == 0 and lede_elsewhere):
            score += w["headline_procedure"]
            reasons.append(f"HSCT named in the headline ({title.free_procedure[0].text!r})")
        if title.free_ms:
            score += w["headline_ms"] + (w["headline_both"] if title.free_procedure else 0.0)
            reasons.append("MS named in the headline")
        if any(r.free_procedure and not (r.diseases and not r.free_ms) for r in lede):
            score += w["lede_procedure"]
            reasons.append("HSCT named in the lede")
        ms_is_subject = bool(title.free_ms or any(r.free_ms for r in lede)) or (
            any(r.free_ms for r in readings) and not any(r.diseases for r in readings))  # MS alone
        discussed = [r for r in readings[1:] if r.discusses(ms_is_subject)]
        if discussed:
            mentions = sum(min(len(r.free_procedure) * w["mention"], w["paragraph_cap"]) for r in discussed)
            together = sum(1 for r in discussed
                           if {m.sentence for m in r.free_procedure} & {m.sentence for m in r.free_ms})
            score += min(mentions, w["discussion_cap"]) + min(together, 3) * w["same_sentence"]
            count = sum(len(r.free_procedure) for r in discussed)
            reasons.append(f"HSCT discussed for MS in {len(discussed)} paragraph(s), {count} mention(s)")
        else:
            reasons.append("no paragraph discusses HSCT as a treatment for MS")
        return score, discussed

    def _penalise(self, view: _View, readings: list[_Reading], discussed: list[_Reading], score: float,
                  reasons: list[str]) -> float:
        p, title = self.penalties, readings[0]
        named = [m for r in readings for m in r.procedure]
        free = [m for r in readings for m in r.free_procedure]
        if named and not free:
            reasons.append("HSCT only named once, in a list of options" if len(named) == 1
                           else "HSCT only named in lists of treatment options")
        lede = [r for r in readings if r.part.index in view.lede]
        up_front = title.free_procedure or any(r.free_procedure for r in lede)
        if len(free) == 1 and not up_front:
            score *= p["passing"]
            reasons.append("HSCT only mentioned once, in passing")
        disease = self._other_disease(readings, discussed)
        if disease:
            score *= p["other_disease"]
            reasons.append(f"transplant discussed for {disease}, not MS")
            if not any(r.free_ms for r in readings):
                reasons.append("MS only named beside other diseases or as a comparison")
        cells = Counter(c.lower() for r in readings for c in r.cells)
        strong = sum(r.strong for r in readings)
        if cells:
            if strong >= 2 and any(view.has(self.contrast, r.part.start, r.part.text) for r in readings):
                reasons.append("contrasts HSCT with other stem cell therapies")
            elif cells.total() >= strong:
                score *= p["other_cells"]
                reasons.append(f"about {cells.most_common(1)[0][0]} stem cells, not HSCT")
        return score

    @staticmethod
    def _other_disease(readings: list[_Reading], discussed: list[_Reading]) -> str | None:
        """The disease the transplant is for, when it is not MS: other diseases outweigh MS
        (a headline counts thrice) and MS has less than a paragraph of its own."""
        title = readings[0]
        diseases = Counter(d.lower() for r in readings for d in r.diseases)
        diseases.update({d.lower(): 2 for d in title.diseases})
        ms = 3 * len(title.free_ms) + sum(len(r.free_ms) for r in readings[1:])
        own_paragraphs = sum(len(r.free_procedure) for r in discussed)
        if diseases and diseases.total() > ms and own_paragraphs < 2:
            return diseases.most_common(1)[0][0]
        return None

    # -- tags -------------------------------------------------------------------------------------

    def tags(self, doc: Document) -> list[TagMatch]:
        """Every tag whose subject the article really discusses, with its evidence."""
        view = _View.of(doc)
        found = [m for rule in self.tag_rules if (m := self._tag(rule, view))]
        if "news" in self._by_slug and not any(m.facet == "type" for m in found):
            title = (doc.title or "").strip()
            found.append(TagMatch(self.facet("news"), "news", (Evidence(title, "title"),) if title else ()))
        return found

    def _tag(self, rule: _TagRule, view: _View) -> TagMatch | None:
        form = rule.form.get("form")
        if form == "question-answer":
            cues = rule.triggers[0].terms if rule.triggers else Terms()
            evidence = _question_answer(view, cues, int(rule.form.get("qa_lines_min", 2)),
                                        int(rule.form.get("quotes_min", 3)))
            return TagMatch(rule.facet, rule.slug, evidence) if evidence else None
        if form == "first-person":
            evidence = _first_person(view, int(rule.form.get("first_person_min", 8)),
                                     float(rule.form.get("first_person_share", 0.025)))
            if evidence:
                return TagMatch(rule.facet, rule.slug, evidence)
        for trigger in rule.triggers:
            evidence = self._triggered(trigger, view)
            if evidence:
                return TagMatch(rule.facet, rule.slug, evidence)
        return None

    def _triggered(self, trigger: _Trigger, view: _View) -> tuple[Evidence, ...] | None:
        count = 0
        evidence: list[Evidence] = []
        for i, found in view.mentions(trigger.terms).items():
            sentence = view.sentences[i]
            if sentence.where not in trigger.where or view.has(trigger.unless, sentence.start, sentence.text):
                continue
            spans = [s for s in found if trigger.allows(sentence.text, *s)]
            if not spans:
                continue
            count += self._weight(view, trigger, sentence, spans)
            for a, b in spans:
                phrase = sentence.raw[a:b]
                if len(evidence) < 3 and all(e.phrase.lower() != phrase.lower() for e in evidence):
                    evidence.append(Evidence(phrase, sentence.where))
        return tuple(evidence) if count >= trigger.min else None

    def _weight(self, view: _View, trigger: _Trigger, sentence: _Sentence,
                spans: list[tuple[int, int]]) -> int:
        """How many sentences' worth this one is: a headline, a dense sentence, or a sentence
        that is enough on its own count for more than a stray mention."""
        if trigger.enough_with and view.has(trigger.enough_with, sentence.start, sentence.text):
            return trigger.min
        if sentence.where == "title":
            return self.headline_counts
        return 2 if len({sentence.text[a:b].lower() for a, b in spans}) >= self.dense_terms else 1


_LOADED: dict[tuple[type[Rules], str, str], Rules] = {}


def _rules_text(path: str | Path | None) -> tuple[str, str]:
    """The text of the shipped rules or of an editor's file, and the name to show for it."""
    if path is None:
        return resources.files("hsctwatch").joinpath("rules.toml").read_text(encoding="utf-8"), \
            "hsctwatch/rules.toml"
    try:
        return Path(path).read_text(encoding="utf-8"), str(path)
    except OSError as exc:
        raise ValueError(f"{path}: cannot read the rules file ({exc.strerror})") from None


@dataclass(frozen=True)
class Vocabulary:
    """The tags of a rules file (slug → facet and label) without compiling the rules: what the
    feeds and the review desk need, at a fraction of the cost of `Rules.load`."""

    tags: dict[str, tuple[str, str]]

    @classmethod
    def load(cls, path: str | Path | None = None) -> Vocabulary:
        text, shown = _rules_text(path)
        try:
            raw = tomllib.loads(text).get("tags", [])
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"{shown}: not valid TOML ({exc})") from None
        return cls({t["slug"]: (t["facet"], str(t.get("label", t["slug"]))) for t in raw
                    if isinstance(t, dict) and isinstance(t.get("slug"), str)
                    and isinstance(t.get("facet"), str)})

    def label(self, slug: str) -> str:
        return self.tags[slug][1]

    def display(self, slug: str) -> str:
        """The tag's label, or its slug for a tag the rules no longer have."""
        return self.tags[slug][1] if slug in self.tags else slug

    def facet(self, slug: str) -> str:
        return self.tags[slug][0]

    @property
    def facets(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for slug, (facet, _) in self.tags.items():
            out.setdefault(facet, []).append(slug)
        return out


def _rules_from(cls: type[Rules], text: str, shown: str) -> Rules:
    """The rules a file's text gives. Rules are read-only once made, and compiling them takes
    a while (every crawler of a run has a relevance and a tag stage): one file's text is
    compiled once per process."""
    key = (cls, text, shown)
    if key in _LOADED:
        return _LOADED[key]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{shown}: not valid TOML ({exc})") from None
    try:
        rules = cls(data, shown)
    except RulesError as exc:
        raise ValueError(f"{shown}: {exc}") from None
    rules.digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    if len(_LOADED) >= 8:
        _LOADED.clear()
    _LOADED[key] = rules
    return rules


_LIST_MARK = re.compile(r"^\s*(?:\(?\d{1,2}[.)]|[-•*–])(?:\s|$)")
_LIST_MARK_ONLY = re.compile(r"^\s*(?:\(?\d{1,2}[.)]|[-•*–])\s*$")


def _list_items(sentences: Sequence[_Sentence], least: int = 3) -> set[int]:
    """The sentences of a paragraph that are items of a numbered or bulleted list of at least
    ``least`` items (a line that starts with "1." or "-", or follows a line that is only that)."""
    marks = [n for n, s in enumerate(sentences) if _LIST_MARK.match(s.text)]
    if len(marks) < least:
        return set()
    items = set(marks)
    items |= {n + 1 for n in marks if n + 1 < len(sentences) and _LIST_MARK_ONLY.match(sentences[n].text)}
    return items


_COMPARISON = re.compile(r"\b(?:versus|vs\.?|compar\w+|than|randomi[sz]ed|against|head-to-head)\b",
                         re.IGNORECASE)


def _is_abbreviation(text: str, span: tuple[int, int], abbr: str) -> bool:
    return bool(re.fullmatch(rf"a?{re.escape(abbr)}s?", text[span[0]:span[1]], re.IGNORECASE))


def _defines(text: str, span: tuple[int, int], abbr: str) -> bool:
    """Is this phrase spelled out as the abbreviation: "phrase (ABBR)" or "ABBR (phrase"?"""
    a, b = span
    after = re.match(rf"\s*\(\s*a?{re.escape(abbr)}\s*\)", text[b:b + 12])
    before = re.search(rf"\b{re.escape(abbr)}\s*\(\s*$", text[max(0, a - 12):a])
    return bool(after or before)


# == the article's form: first-hand stories and interviews =========================================

_QUOTED = re.compile(r"\"[^\"\n]*\"")
_FIRST_PERSON = re.compile(
    r"(?<![Pp]hase )(?<![Tt]ype )\b(?:I|I'm|I've|I'd|I'll)\b|\b(?:[Mm]y|[Mm]e|[Mm]yself|[Mm]ine)\b")


def _first_person(view: _View, minimum: int, share: float) -> tuple[Evidence, ...] | None:
    """A first-hand story: first-person words outside quotations, enough of them and a large
    enough share of the text (a report quoting a patient's "I" is not one)."""
    unquoted = " ".join(_QUOTED.sub(" ", p.text) for p in view.parts if p.where == "body")
    hits = len(_FIRST_PERSON.findall(unquoted))
    if hits < minimum or hits / max(len(unquoted.split()), 1) < share:
        return None
    evidence = [Evidence(s.raw.strip()[:120].strip(), "body") for s in view.sentences
                if s.where == "body" and _FIRST_PERSON.search(_QUOTED.sub(" ", s.text))]
    return tuple(evidence[:2])


_QA_LINE = re.compile(r"^(?:Q|A|Question|Answer|[A-Z]{2,}(?: [A-Z]{2,})?)\s?:\s")
_ATTRIBUTED = re.compile(
    r"\"[^\"\n]{15,}\"\s*,?\s*(?:\w+\s){0,3}?(?:said|says|told|explains|explained|adds|added|asked)\b")


def _question_answer(view: _View, cues: Terms, lines_min: int,
                     quotes_min: int) -> tuple[Evidence, ...] | None:
    """Built around an interview: question-and-answer or speaker lines, or an interview with
    quoted answers."""
    lines = [p for p in view.parts if p.where == "body" and _QA_LINE.match(p.text)]
    if len(lines) >= lines_min:
        return tuple(Evidence(p.raw.split(":")[0] + ":", "body") for p in lines[:2])
    cue = next(((s, a, b) for s in view.sentences for a, b in view.spans(cues, s)), None)
    if cue and len(_ATTRIBUTED.findall(view.text)) >= quotes_min:
        sentence, a, b = cue
        return (Evidence(sentence.raw[a:b], sentence.where),)
    return None
