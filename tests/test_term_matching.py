"""The fast term matcher (hsctwatch.rules.views: an index of where words start, and each regex
tried only there) finds exactly what a plain regular-expression search finds.

Over every case of the labelled corpus and every list of terms the shipped rules compile, for
the whole text, every part and every sentence: the same matches, in the same order. A speed-up
that changed a single match would change relevance or tags somewhere; this is where it shows.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hsctwatch.rules import Rules, Terms
from hsctwatch.rules.evaluate import Case, load_corpus
from hsctwatch.rules.views import View, view_of

CASES = load_corpus()


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


def test_the_rules_have_terms_of_every_kind() -> None:
    names = {name for name, _ in TERMS}
    assert {"procedure", "weak_procedure", "ms", "diseases", "cells", "options"} <= names
    assert any(terms.exact for _, terms in TERMS) and any(terms.loose for _, terms in TERMS)
    assert len(TERMS) > 100


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_the_word_index_finds_what_a_plain_search_finds(case: Case) -> None:
    view: View = view_of(case.document)
    for name, terms in TERMS:
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
