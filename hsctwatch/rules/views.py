"""The document split the way people read it: headline, standfirst, paragraphs, sentences,
with the terms' matches found once per document and shared by relevance and tags."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import cached_property, lru_cache

from hsctwatch.rules.model import Document
from hsctwatch.rules.terms import (
    Found,
    Plan,
    Terms,
    WordIndex,
    combine,
    finditer_at,
    is_word,
    normalize,
    spans_of,
)


@dataclass(frozen=True)
class Sentence:
    where: str
    part: int
    start: int  # where it starts in the whole document's text
    text: str  # normalized, as long as raw
    raw: str

    @cached_property
    def shouty(self) -> bool:
        """Mostly capitals: more than 60% of more than 12 letters (so at least 8 capitals, which
        are counted first: most sentences have fewer, and their letters need no counting)."""
        upper = len(UPPER.findall(self.text))
        if upper < 8:
            return False
        letters = len(LETTER.findall(self.text))
        return letters > 12 and upper > 0.6 * letters


@dataclass(frozen=True)
class Part:
    where: str
    index: int
    text: str
    raw: str
    sentences: tuple[Sentence, ...]
    start: int = 0  # where it starts in the whole document's text

    @cached_property
    def words(self) -> int:
        """How many words it has: asked of each part by several rules."""
        return len(self.text.split())


# A sentence ends at . ! ? (and the closing quotes or brackets after them) before a space and a
# capital letter or a digit, in any script, which may follow an opening quote, a bracket, a dash
# (Russian dialogue) or Spanish's ¿ ¡; or at a line break.
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"”’')»“]*(\s+)(?=[\"“‘(«„¿¡—–-]?\s?(\w))|(\n+)")
LETTER = re.compile(r"[^\W\d_]")
UPPER = re.compile(r"[A-ZÀ-ÖØ-ÞА-ЯЁ]")


def split_sentences(where: str, index: int, raw: str, offset: int,
                    normal: str | None = None) -> tuple[Sentence, ...]:
    """The sentences of a part's raw text found at `offset`; `normal`: its normalized text, if
    made already (normalizing is one character for one: a sentence's is a slice of it)."""
    normal = normalize(raw) if normal is None else normal
    chunks, start = [], 0
    for m in _SENTENCE_END.finditer(raw):
        if m.group(2) is not None and not (m.group(2).isupper() or m.group(2) in "0123456789"):
            continue  # no capital after the stop: an abbreviation ("e.g. the", "т. е. в")
        gap = m.start(1) if m.group(1) is not None else m.start(3)
        chunks.append((start, raw[start:gap]))
        start = m.end()
    chunks.append((start, raw[start:]))
    return tuple(Sentence(where, index, offset + at, normal[at:at + len(c)], c)
                 for at, c in chunks if c.strip())


@dataclass(frozen=True)
class View:
    parts: tuple[Part, ...]

    @classmethod
    def of(cls, doc: Document) -> View:
        """The document split into parts and sentences. The relevance and tag stages read the
        same document one after the other: the last few are kept, not split again."""
        return view_of(doc)

    @cached_property
    def text(self) -> str:
        return "\n\n".join(p.text for p in self.parts)  # the offsets above count the "\n\n"

    @cached_property
    def sentences(self) -> tuple[Sentence, ...]:
        return tuple(s for p in self.parts for s in p.sentences)

    @cached_property
    def _starts(self) -> list[int]:
        return [s.start for s in self.sentences]

    def mentions(self, terms: Terms) -> dict[int, list[tuple[int, int]]]:
        """The terms' matches by sentence (index in `sentences`, offsets within the sentence),
        found in one pass over the whole text rather than one per sentence; once per terms (the
        tag stage asks again for a facet's terms and a kind of page's signs). Do not change the
        dict it gives."""
        known = self._mentions.get(id(terms))
        if known is not None and known[0] is terms:
            return known[1]
        found = self._mentions_of(terms)
        self._mentions[id(terms)] = (terms, found)
        return found

    @cached_property
    def _mentions(self) -> dict[int, tuple[Terms, dict[int, list[tuple[int, int]]]]]:
        return {}

    def _mentions_of(self, terms: Terms) -> dict[int, list[tuple[int, int]]]:
        found: dict[int, list[tuple[int, int]]] = {}
        for a, b, exact in self._whole(terms):
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

    def matches(self, terms: Terms, start: int, text: str) -> Found:
        """`terms.matches(text)`, for the text found at `start` in the whole document's text."""
        return combine([(self._spans(pattern, plan, start, text), exact)
                         for pattern, plan, exact in ((terms.loose, terms.loose_plan, False),
                                                      (terms.exact, terms.exact_plan, True))
                         if pattern is not None])

    def _whole(self, terms: Terms) -> Found:
        """`matches` in the whole text, once per terms: relevance and tags ask for the same
        terms' (MS, the kinds of page) several times. Do not change the list it gives."""
        known = self._whole_matches.get(id(terms))
        if known is not None and known[0] is terms:
            return known[1]
        found = self.matches(terms, 0, self.text)
        self._whole_matches[id(terms)] = (terms, found)
        return found

    @cached_property
    def _whole_matches(self) -> dict[int, tuple[Terms, Found]]:
        return {}

    def spans(self, terms: Terms, sentence: Sentence | None = None,
              shouty: bool = False) -> list[tuple[int, int]]:
        """`terms.spans(text, shouty and sentence.shouty)` for a sentence, or the whole text."""
        if sentence is None:
            found = self._whole(terms)
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

    def sentences_naming(self, *terms: Terms) -> set[int]:
        """Where the sentences start that have, read alone, a match of any of the terms."""
        found: set[int] = set()
        for each in terms:
            if each:
                found.update(self._by_sentence(each))
        return found

    def first_mention(self, terms: Terms) -> tuple[Sentence, int, int] | None:
        """The first sentence that has, read alone, a match of the terms, and its first match."""
        found = self._by_sentence(terms) if terms else {}
        if not found:
            return None
        sentence, matches = found[min(found)]
        return sentence, matches[0][0], matches[0][1]

    def named(self, terms: Terms) -> bool:
        """Does any sentence, read alone, have a match of the terms?"""
        return bool(terms) and bool(self._by_sentence(terms))

    def _by_sentence(self, terms: Terms) -> dict[int, tuple[Sentence, Found]]:
        """`terms.matches(sentence.text)` for every sentence that has any, by where it starts:
        found for all sentences at once, from the places where the terms can match."""
        known = self._sentence_matches.get(id(terms))
        if known is not None and known[0] is terms:
            return known[1]
        runs = [(self._sentence_spans(pattern, plan), exact)
                for pattern, plan, exact in ((terms.loose, terms.loose_plan, False),
                                             (terms.exact, terms.exact_plan, True))
                if pattern is not None]
        found: dict[int, tuple[Sentence, Found]] = {}
        for i in sorted({i for spans, _ in runs for i in spans}):
            sentence = self.sentences[i]
            matches = combine([(spans.get(i, []), exact) for spans, exact in runs])
            if matches:
                found[sentence.start] = (sentence, matches)
        self._sentence_matches[id(terms)] = (terms, found)
        return found

    def _sentence_spans(self, pattern: re.Pattern[str],
                        plan: Plan | None) -> dict[int, list[tuple[int, int]]]:
        """The spans of `pattern.finditer(sentence.text)` for every sentence (by index) with any."""
        sentences, starts = self.sentences, self._starts
        if plan is None:
            every = {i: spans_of(pattern, s.text) for i, s in enumerate(sentences)}
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
        isolated = self._isolated_sentences
        for i in range(len(sentences)) if each else local:
            sentence = sentences[i]
            if i not in isolated:
                spans = spans_of(pattern, sentence.text)
            else:
                here = local.get(i, [])
                if each and plan.others is not None:
                    here = sorted(plan.other_places(sentence.text).union(here))
                spans = finditer_at(pattern, sentence.text, here)
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
            elif plan.other_search(text) or any(
                    pattern.match(text, at) for at in self._places(plan, start, text)):
                return True
        return False

    def _spans(self, pattern: re.Pattern[str], plan: Plan | None, start: int,
               text: str) -> list[tuple[int, int]]:
        """The spans of `pattern.finditer(text)`."""
        if plan is None or not self._isolated(start, text):
            return spans_of(pattern, text)
        places = self._places(plan, start, text)
        if plan.others:
            places = sorted(plan.other_places(text).union(places))
        return finditer_at(pattern, text, places)

    def _places(self, plan: Plan, start: int, text: str) -> list[int]:
        """Where in the text a word starts with one of the plan's keys (offsets within the text)."""
        places = self._plan_places.get(plan)
        if places is None:
            places = self._plan_places[plan] = sorted(self._words.plan_places(plan))
        if start == 0 and len(text) == len(self.text):
            return places
        end = start + len(text)
        return [at - start for at in places[bisect_left(places, start):bisect_left(places, end)]]

    def _isolated(self, start: int, text: str) -> bool:
        """Is the text found at `start`, between non-word characters (so that its words are the
        index's words: a part or a sentence is)?"""
        whole, end = self.text, start + len(text)
        if start == 0 and end == len(whole):
            return text is whole or text == whole
        return (whole.startswith(text, start) and (start == 0 or not is_word(whole[start - 1]))
                and (end == len(whole) or not is_word(whole[end])))

    @cached_property
    def _isolated_sentences(self) -> frozenset[int]:
        """The sentences (by index) that are `_isolated`: most, but not one run into the next."""
        return frozenset(i for i, s in enumerate(self.sentences) if self._isolated(s.start, s.text))

    @cached_property
    def _words(self) -> WordIndex:
        return WordIndex(self.text)

    @cached_property
    def _plan_places(self) -> dict[Plan, list[int]]:
        return {}

    @cached_property
    def _sentence_at(self) -> dict[int, Sentence]:
        return {s.start: s for s in self.sentences}

    @cached_property
    def _sentence_matches(self) -> dict[int, tuple[Terms, dict[int, tuple[Sentence, Found]]]]:
        return {}



#: Where readers' comments start under a post: a heading of its own ("Comments (5)", "3 comments",
#: "12 responses to “…”", "Leave a reply"), not a sentence that mentions comments — in every
#: language the rules read, as blog platforms print it ("Comentários (34)", "7 Kommentare",
#: "Комментарии (4)", "Lascia un commento", "Deja una respuesta"), maybe with "· Share" after it.
_COMMENTS = re.compile(
    r"^[ \t]*(?:(?:\d+ )?(?:reader )?(?:comments?|comentarios?|comentários?|commenti|commento"
    r"|kommentare?|комментари[йяи]|комментариев|комментарий)(?: \(\d+\))?"
    r"(?:[ \t]*[·|•][ \t]*(?:share|compartir|compartilhar|partilhar|condividi|teilen|поделиться))?"
    r"|\d+ (?:responses|replies|thoughts) (?:to|on) .{0,200}"
    r"|\d+ (?:respuestas|respostas|risposte|antworten|ответ\w*) (?:a|para|auf|на) .{0,200}"
    r"|leave a (?:reply|comment)|join the discussion|what readers say"
    r"|deja (?:un comentario|una respuesta)|deixe (?:um comentário|uma resposta|seu comentário)"
    r"|lascia (?:un commento|una risposta)|(?:schreibe|hinterlasse) einen kommentar"
    r"|(?:оставить|добавить|оставьте) комментарий)[ \t]*:?[ \t]*$",
    re.IGNORECASE | re.MULTILINE)


def without_comments(text: str) -> str:
    """The article's text without the readers' comments under it: what they write never makes
    a post relevant, nor gives it a tag. The extract stage leaves them out of a page; a feed's or
    an archive's text may still have them, after a heading of their own."""
    for m in _COMMENTS.finditer(text):
        if text[:m.start()].strip():  # the heading is not all there is
            return text[:m.start()].rstrip()
    return text


@lru_cache(maxsize=8)
def view_of(doc: Document) -> View:
    raws = [("title", (doc.title or "").strip())]
    if (doc.summary or "").strip():
        raws.append(("summary", doc.summary.strip()))
    raws += [("body", p.strip()) for p in re.split(r"\n\s*\n", without_comments(doc.text or "")) if p.strip()]
    parts, offset = [], 0
    for i, (where, raw) in enumerate(raws):
        normal = normalize(raw)
        parts.append(Part(where, i, normal, raw, split_sentences(where, i, raw, offset, normal), offset))
        offset += len(raw) + 2
    return View(tuple(parts))

