"""The article's form: a first-hand story, an interview."""

from __future__ import annotations

import re

from hsctwatch.rules.model import Evidence
from hsctwatch.rules.terms import Terms
from hsctwatch.rules.views import View

_QUOTED = re.compile(r"\"[^\"\n]*\"")
_FIRST_PERSON = re.compile(
    r"(?<![Pp]hase )(?<![Tt]ype )\b(?:I|I'm|I've|I'd|I'll)\b|\b(?:[Mm]y|[Mm]e|[Mm]yself|[Mm]ine)\b")


def first_person(view: View, minimum: int, share: float) -> tuple[Evidence, ...] | None:
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


def question_answer(view: View, cues: Terms, lines_min: int,
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
