"""The fast term matcher (hsctwatch.rules.views: an index of where words start, and each regex
tried only there) finds exactly what a plain regular-expression search finds.

Over every case of the labelled corpus and of the first blind batch of every language, and every
list of terms the shipped rules compile for the case's language (the main rules for English, the
main rules with the language file's terms for the others): for the whole text, every part and
every sentence, the same matches, in the same order. A speed-up that changed a single match
would change relevance or tags somewhere; this is where it shows. The held-out batches (-2) are
never read here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from hsctwatch.rules import Rules, Terms
from hsctwatch.rules.evaluate import Case, load_corpus
from hsctwatch.rules.terms import Plan, first_characters, plain_case, spans_of
from hsctwatch.rules.views import View, view_of

BLIND = Path(__file__).parent / "corpus" / "blind"
CASES = load_corpus() + [case for language in ("en", "es", "pt", "ru", "it", "de")
                         for case in load_corpus(BLIND / f"{language}-1")]


def every_terms(rules: Rules) -> Iterator[tuple[str, Terms]]:
    """Every compiled list of terms in the rules: the vocabulary and each tag's triggers."""
    for name, value in vars(rules).items():
        if isinstance(value, Terms) and value:
            yield name, value
        elif isinstance(value, dict):
            yield from ((f"{name}[{key}]", terms) for key, terms in value.items()
                        if isinstance(terms, Terms) and terms)
    for rule in rules.tag_rules:
        for n, trigger in enumerate(rule.triggers):
            for field in ("terms", "near", "unless", "enough_with"):
                terms = getattr(trigger, field)
                if terms:
                    yield f"{rule.slug} trigger {n} {field}", terms


RULES = Rules.load()
TERMS = list(every_terms(RULES))
LANGUAGE_TERMS = {code: list(every_terms(RULES.for_language(code))) for code in RULES.languages}


def test_the_rules_have_terms_of_every_kind() -> None:
    names = {name for name, _ in TERMS}
    assert {"procedure", "weak_procedure", "ms", "diseases", "cells", "options"} <= names
    assert any(terms.exact for _, terms in TERMS) and any(terms.loose for _, terms in TERMS)
    assert len(TERMS) > 100
    assert {"en", "es", "pt", "ru", "it", "de"} <= set(LANGUAGE_TERMS)


def test_the_cases_are_read_in_their_languages() -> None:
    assert {c.document.language for c in CASES} == {"en", "es", "pt", "ru", "it", "de"}


def test_terms_the_index_cannot_find_are_tried_where_they_can_start() -> None:
    """A term after a lookbehind, or led by a sign or a capital, or by a letter in any case, is
    tried only where a character it can start with stands — and found at every place a search
    finds it; a term that may start with nothing, or with any character, or that changes its
    flags, is left to the engine."""
    lookbehind = r"(?<![Ff]or )\b(?:Neurology|Brain)\b|(?:Multiple Sclerosis Journal)"
    assert first_characters(lookbehind, 0) == "[NBM]"
    assert first_characters(r"(?:€|\$)\s?\d+|\bUS\b", 0) == r"[€\$U]"
    posted = re.compile(first_characters(r"\bposted by", re.IGNORECASE) or "")
    assert {c for c in map(chr, range(0x530)) if posted.match(c)} == {"p", "P"}
    assert posted.match("\u0530") and posted.match("\u212a")  # beyond Cyrillic: every character
    for unknown, flags in ((r"a*", 0), (r"(?i:x)y", 0), (r".x", 0), (r"[^a]b", 0), (r"\w+ said", 0),
                           (r"\s?US", re.IGNORECASE)):
        assert first_characters(unknown, flags) is None, unknown
    text = ("For Brain, not for Brain. Neurology; Multiple Sclerosis Journal, € 20 and $5, US. "
            "Posted by Ann; posted BY Bob; ſpotted; ITALIANO, Italiani, hospital italiano.")
    for regexes, flags in (([r"(?<![Ff]or )\b(?:Neurology|Brain)\b", "Multiple Sclerosis Journal"], 0),
                           ([r"(?:€|\$)\s?\d+", r"(?<!\d )\bUS\b"], 0),
                           ([r"(?<![^\n ])(?:posted|replied) by", r"(?:£|\$|€|\bR)\s?\d"], re.IGNORECASE),
                           ([r"(?<!hospital )\b[Ii]talian[oi]\b", r"\bspotted"], re.IGNORECASE)):
        plan = Plan(set(), regexes, flags)
        assert plan.starts is not None
        pattern = re.compile("|".join(f"(?:{r})" for r in regexes), flags)
        every = {at for at in range(len(text) + 1) if pattern.match(text, at)}
        assert plan.other_places(text) == every and every and plan.other_search(text)
        assert not plan.other_search("for Brain only")


def test_spans_of_gives_finditers_matches() -> None:
    """spans_of looks for a pattern only where its first characters stand: finditer's matches
    all the same, one after the other where they could overlap, over every case's text."""
    patterns = [re.compile(r"(?<![Pp]hase )(?<![Tt]ype )\b(?:I|I'm|I've)\b|\b(?:[Mm]y|[Mm]e|[Mm]ine)\b"),
                re.compile(r"\b(?:ich|mein\w*|mir|mich)\b|\bя\b", re.IGNORECASE),
                re.compile(r"(?:£|\$|€|\bR)\s?\d[\d,.]*|aa|a", re.IGNORECASE),
                re.compile(r"(a)(?:\1)?b")]  # a group of its own: finditer's own
    texts = [c.document.text for c in CASES] + ["I'm me, mine; Phase I; aaab R$ 5 and €3 MY", ""]
    for pattern in patterns:
        for text in texts:
            assert spans_of(pattern, text) == [m.span() for m in pattern.finditer(text)], pattern


def test_plain_letters_fold_as_the_regex_engine_folds_them() -> None:
    """The word index keys a word by its first letters in lower case, in any script: that is
    only right for letters that the regex engine, ignoring case, takes for exactly the letters
    of the same lower case. Checked against the engine for every cased letter: every letter that
    matches a plain one either has its lower case, or is not plain itself (its words are then
    places for every term)."""
    cased = [chr(i) for i in range(0x30000) if chr(i).lower() != chr(i) or chr(i).upper() != chr(i)]
    sharing: dict[str, set[str]] = {}
    for char in cased:
        for key in (char.lower(), char.upper()):
            sharing.setdefault(key, set()).add(char)
    for char in filter(plain_case, cased):
        pattern = re.compile(re.escape(char), re.IGNORECASE)
        for other in sharing[char.lower()] | sharing[char.upper()] | {char.lower(), char.upper()}:
            if len(other) == 1 and pattern.fullmatch(other) and plain_case(other):
                assert other.lower() == char.lower(), (char, other)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_the_word_index_finds_what_a_plain_search_finds(case: Case) -> None:
    view: View = view_of(case.document)
    for name, terms in LANGUAGE_TERMS.get(case.document.language, TERMS):
        assert view.matches(terms, 0, view.text) == terms.matches(view.text), (case.id, name)
        for part in view.parts:
            assert view.matches(terms, part.start, part.text) == terms.matches(part.text), (case.id, name)
        for sentence in view.sentences:
            expected = terms.spans(sentence.text, shouty=sentence.shouty)
            assert view.spans(terms, sentence, shouty=True) == expected, (case.id, name, sentence.text)
            found = view.has(terms, sentence.start, sentence.text)
            assert found == terms.search(sentence.text), (case.id, name)
        by_sentence = view.mentions(terms)
        plain: dict[int, list[tuple[int, int]]] = {}
        for i, sentence in enumerate(view.sentences):
            spans = [(a, b) for a, b, exact in terms.matches(sentence.text)
                     if not (exact and sentence.shouty) and b <= len(sentence.text)]
            if spans:
                plain[i] = spans
        assert by_sentence == plain, (case.id, name)
