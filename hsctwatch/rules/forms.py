"""The article's form: a first-hand story, an interview, or no article at all but a list of
teasers (a topic or tag index, an author's page, search results)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from hsctwatch.rules.model import Evidence
from hsctwatch.rules.terms import Terms, normalize, spans_of
from hsctwatch.rules.views import View

_QUOTED = re.compile(r"\"[^\"\n]*\"")
_FIRST_PERSON = re.compile(
    r"(?<![Pp]hase )(?<![Tt]ype )\b(?:I|I'm|I've|I'd|I'll)\b|\b(?:[Mm]y|[Mm]e|[Mm]yself|[Mm]ine)\b")

_FIRST_PERSON_PLURAL = re.compile(r"\b(?:[Ww]e|[Oo]ur|[Uu]s|[Oo]urselves)\b")


def first_person(view: View, minimum: int, share: float, short: int = 0, short_minimum: int = 0,
                 words: Sequence[str] = (), plural: float = 0.0) -> tuple[Evidence, ...] | None:
    """A first-hand story: first-person words outside quotations, enough of them and a large
    enough share of the text (a report quoting a patient's "I" is not one). A diary entry of
    fewer than `short` words ("Day +9. Neutrophils 0.6!!") needs only `short_minimum` of them.
    A family keeping the diary of one person's transplant writes "we" and "our" as often as "I":
    each counts as `plural` of a first-person word (in English; a press office's "we" alone
    never makes the share). `words`: the language's first-person words, instead of English's."""
    pattern = _words(tuple(words)) if words else _FIRST_PERSON
    unquoted = " ".join(_QUOTED.sub(" ", p.text) for p in view.parts if p.where == "body")
    hits, count = len(spans_of(pattern, unquoted)), len(unquoted.split())
    if plural and not words:
        hits += int(plural * len(spans_of(_FIRST_PERSON_PLURAL, unquoted)))
    if short and short_minimum and count < short:
        minimum = min(minimum, short_minimum)
    if hits < minimum or hits / max(count, 1) < share:
        return None
    evidence = [Evidence(s.raw.strip()[:120].strip(), "body") for s in view.sentences
                if s.where == "body" and pattern.search(_QUOTED.sub(" ", s.text))]
    return tuple(evidence[:2])


@lru_cache(maxsize=32)
def _words(words: tuple[str, ...]) -> re.Pattern[str]:
    """Whole words, in any case."""
    return re.compile(r"\b(?:" + "|".join(map(re.escape, sorted(words, key=len, reverse=True))) + r")\b",
                      re.IGNORECASE)


_QA_LINE = re.compile(r"^(?:Q|A|Question|Answer|[A-Z]{2,}(?: [A-Z]{2,})?)\s?:\s")
_ATTRIBUTED = re.compile(
    r"\"[^\"\n]{15,}\"\s*,?\s*(?:\w+\s){0,3}?(?:said|says|told|explains|explained|adds|added|asked)\b")


def question_answer(view: View, cues: Terms, lines_min: int, quotes_min: int, said: Sequence[str] = (),
                    qa_labels: Sequence[str] = (), words: Sequence[str] = ()) -> tuple[Evidence, ...] | None:
    """Built around an interview: question-and-answer or speaker lines; or an interview (one
    of the cues) with quoted answers, or with questions standing as paragraphs of their own, each
    answered by the next (an FAQ page has the questions, but no interview); or questions set as
    lines of their own with answers in the first person. `said`, `qa_labels` and `words`: the
    language's verbs of speech, labels of its questions and answers, and first-person words,
    besides English's."""
    qa_line, attributed = _interview_forms(tuple(said), tuple(qa_labels))
    lines = [(p, m) for p in view.parts if p.where == "body" and (m := qa_line.match(p.raw))]
    if len(lines) >= lines_min:
        return tuple(Evidence(m[0].strip(), "body") for _, m in lines[:2])
    cue = view.first_mention(cues)
    if cue is not None:
        sentence, a, b = cue
        if len(attributed.findall(view.text)) >= quotes_min:
            return (Evidence(sentence.raw[a:b], sentence.where),)
        asked = _questions(view)
        if len(asked) > lines_min:
            return (Evidence(sentence.raw[a:b], sentence.where), Evidence(asked[0], "body"))
    return _asked(view, words, lines_min, cue is not None)


def _asked(view: View, words: Sequence[str], least: int, cue: bool) -> tuple[Evidence, ...] | None:
    """Questions set as lines of their own ("**How did you get there?**"), each answered by
    the next line or paragraph, the answers in the first person or the piece saying it is an
    interview (`cue`): an interview without Q: and A: (a FAQ page's answers are neither)."""
    lines = [line for p in view.parts if p.where == "body" for line in p.raw.split("\n") if line.strip()]
    pattern = _words(tuple(words)) if words else _FIRST_PERSON
    # a question has a question mark: the lines without one are not normalized to be matched
    asked = [bool("?" in line and _QUESTION.match(normalize(line))) for line in lines]
    answered = [(normalize(q), normalize(a)) for n, (q, a) in enumerate(zip(lines, lines[1:], strict=False))
                if asked[n] and not asked[n + 1]]
    if len(answered) < max(least, 3):
        return None
    if not cue and sum(_spoken(a, pattern) for _, a in answered) < len(answered):
        return None
    return tuple(Evidence(q.strip("*_ ")[:120], "body") for q, _ in answered[:2])


def _spoken(answer: str, first_person: re.Pattern[str]) -> int:
    """How much an answer speaks for itself: its first-person words outside quotations (inside
    them they are someone else's), or one for an answer that is all the speaker's quotation — a
    feature sets each answer so ("That the ward bit is the part we're good at …"), and a page of
    questions answered in the house's voice does not."""
    if answer.lstrip().startswith('"'):
        return max(1, len(first_person.findall(answer)))
    return len(first_person.findall(_QUOTED.sub(" ", answer)))


_QUESTION = re.compile(r"^[*_\s]*[¿]?[^\n?]{3,200}\?[*_\s]*$")


@lru_cache(maxsize=32)
def _interview_forms(said: tuple[str, ...],
                     labels: tuple[str, ...]) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The patterns of a question-and-answer line and of an attributed quotation, with a
    language's labels and verbs of speech added to English's. A speaker's label in capitals
    may be in any script; a quotation may also be attributed after it with a dash (— said she)."""
    if not said and not labels:
        return _QA_LINE, _ATTRIBUTED
    own = "|".join(map(re.escape, labels))
    qa_line = re.compile(r"^(?:(?:Q|A|Question|Answer|[A-ZÀ-ÖØ-ÞА-ЯЁ]{2,}(?: [A-ZÀ-ÖØ-ÞА-ЯЁ]{2,})?)\s?:"
                         + (r"|(?:" + own + r")\s?[:.]" if own else "") + r")\s")
    verbs = "|".join(map(re.escape, ("said", "says", "told", "explains", "explained", "adds", "added",
                                     "asked", *said)))
    attributed = re.compile(r"\"[^\"\n]{15,}\"\s*[,.]?\s*-?\s*(?:\w+\s){0,3}?(?:" + verbs + r")\b",
                            re.IGNORECASE)
    return qa_line, attributed


def _questions(view: View) -> list[str]:
    """The questions that stand as paragraphs of their own and are answered by the next one."""
    body = [p for p in view.parts if p.where == "body"]
    return [p.raw for p, after in zip(body, body[1:], strict=False)
            if p.text.rstrip().endswith("?") and p.words <= 40
            and not after.text.rstrip().endswith("?")]


_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
#: The same in the other languages the rules read: "14 de marzo de 2024", "14. März 2024",
#: "14 марта", "14.02.2024", "hace 3 días", "há 2 semanas", "3 giorni fa", "vor 2 Tagen",
#: "2 дня назад" — a dateline is the form of a list of articles in any language.
_OTHER_MONTH = (r"(?:ene|feb|fev|mar|abr|apr|may|mai|mag|jun|giu|jul|lug|ago|aug|sep|set|oct|out|ott|okt"
                r"|nov|dic|dez|dec|gen|jan|jän|янв|фев|мар|апр|ма[йя]|июн|июл|авг|сен|окт|ноя|дек)\w*\.?")
_OTHER_DATE = (rf"\d{{1,2}}\.? (?:de )?{_OTHER_MONTH}(?:,? (?:de )?\d{{4}})?"
               r"|\d{1,2}\.\d{1,2}\.(?:\d{2,4})?"
               r"|(?:hace|há|vor) (?:un|una|um|uma|einem|einer|\d+) \w+|(?:un|una|\d+) \w+ fa"
               r"|\d+ \w+ назад|ayer|ontem|ieri|gestern|вчера")
_DATE = (rf"(?:\d{{1,2}}(?:st|nd|rd|th)? {_MONTH}(?:,? \d{{4}})?"
         rf"|{_MONTH} \d{{1,2}}(?:st|nd|rd|th)?(?:,? \d{{4}})?"
         r"|\d{1,2}/\d{1,2}(?:/\d{2,4})?|\d{4}-\d{2}-\d{2}"
         r"|(?:an?|\d+) (?:minute|hour|day|week|month|year)s? ago|yesterday|last (?:week|month|year)"
         rf"|{_OTHER_DATE})")
_SEPARATOR = r"(?:\s[|›·»—–-]\s|\s?[|›·»]\s?)"
#: A teaser's dateline: a date with a section or a snippet ("14 March | Research", "09/04 – The
#: decision forum says …", "News › 14 March", "Updated 2 months ago"), a short line of its own.
_DATELINE = re.compile(rf"^(?:{_DATE}{_SEPARATOR}.*"
                       rf"|(?:[^\n]{{0,60}}{_SEPARATOR})?(?:updated |posted |last post )?{_DATE}"
                       rf"(?:{_SEPARATOR}[^\n]{{0,60}})?\.?)$", re.IGNORECASE)
#: A search result's snippet, cut short at both ends ("…the StarMS trial compares aHSCT with…").
_RESULT = re.compile(r"^(?:\.\.\.|…).{10,300}(?:\.\.\.|…)$")


def teasers(view: View, prose_words: int) -> tuple[int, int]:
    """How many teaser lines the body has (datelines, snippets cut short), and how
    many paragraphs of prose (at least `prose_words` words, without a teaser line): a list of
    articles is many of the first and hardly any of the second, whatever its title says."""
    entries = prose = 0
    for part in view.parts:
        if part.where != "body":
            continue
        lines = [line.strip() for line in part.raw.splitlines() if line.strip()]
        found = sum(1 for line in lines if len(line.split()) <= 40
                    and (_DATELINE.match(line) or _RESULT.match(line)))
        entries += found
        if not found and part.words >= prose_words:
            prose += 1
    return entries, prose
