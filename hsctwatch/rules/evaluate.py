"""How well the rules follow the editorial policy, measured on a labelled corpus.

The corpus (tests/corpus/) is what an editor following docs/editorial-policy.md decided, written before the
rules were tuned. A folder of TOML files, in either of two shapes:

- one article per file: title, summary, text, relevant, tags, note (and `exact = true` when the
  tag set is clear-cut), the case's id being the file's name;
- several articles per file, as [[case]] tables with an `id` and the same keys.

A case may give the post's own `categories` (a list of strings), which the rules read as the
page would give them. A folder with no TOML files of its own is a folder of such folders (the
blind batches), each case named by its folder.

A case may say its `language` ("es"; English when it does not). The rules read each case in the
language the pipeline would give it (hsctwatch.language: the text's, checked against what the
case says, as against a page's own `lang`), and the figures are also given per language.

Relevance is scored on every case. Tags are scored on the cases labelled relevant, whatever the
relevance rules decided, so that the two figures measure different things; per facet and
micro-averaged over all tags.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from hsctwatch.language import decide
from hsctwatch.rules import Document, Rules

#: The labelled corpus in a source checkout.
DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "tests" / "corpus"


@dataclass(frozen=True)
class Case:
    id: str
    document: Document
    relevant: bool
    tags: frozenset[str]
    note: str = ""
    exact: bool = False  # the tag set is clear-cut: tests check it exactly
    language: str = "en"  # the language the case is written in, as labelled


def _case(case_id: str, raw: dict[str, Any], where: Path) -> Case:
    try:
        title, summary, text = raw["title"], raw.get("summary", ""), raw.get("text", "").strip()
        language = str(raw.get("language", "en"))
        return Case(
            id=case_id,
            document=Document(title=title, summary=summary, text=text,
                              categories=tuple(str(c) for c in raw.get("categories", ())),
                              language=decide(title, summary, text, language).code),
            relevant=bool(raw["relevant"]),
            tags=frozenset(raw.get("tags", [])),
            note=raw.get("note", ""),
            exact=bool(raw.get("exact", False)),
            language=language,
        )
    except KeyError as exc:
        raise ValueError(f"{where}: case {case_id!r} has no {exc.args[0]!r}") from None


def load_corpus(folder: str | Path = DEFAULT_CORPUS) -> list[Case]:
    """Every labelled case in the folder's TOML files, in file order; in a folder without any,
    the cases of each folder in it, their ids prefixed with the folder's name."""
    folder = Path(folder)
    files = sorted(folder.glob("*.toml"))
    if not files:
        return [replace(case, id=f"{sub.name}/{case.id}")
                for sub in sorted(p for p in folder.iterdir() if p.is_dir()) for case in load_corpus(sub)]
    cases = []
    for path in files:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"{path}: not valid TOML ({exc})") from None
        if "case" in data:
            cases += [_case(f"{path.stem}/{raw['id']}", raw, path) for raw in data["case"]]
        elif "title" in data:
            cases.append(_case(path.stem, data, path))
    return cases


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "tp": tp, "fp": fp, "fn": fn}


def evaluate(corpus: str | Path | list[Case] = DEFAULT_CORPUS, rules: Rules | None = None) -> dict[str, Any]:
    """Precision, recall and F1 of relevance, and of tags per facet and overall (micro), with
    a line for every mistake so that an editor sees what a change of the rules did."""
    cases = corpus if isinstance(corpus, list) else load_corpus(corpus)
    rules = rules or Rules.load()
    relevance = [0, 0, 0]
    facets: dict[str, list[int]] = {}
    mistakes: list[str] = []
    by_language: dict[str, tuple[list[int], dict[str, list[int]], list[int]]] = {}
    for case in cases:
        own_relevance, own_facets, count = by_language.setdefault(case.language, ([0, 0, 0], {}, [0]))
        count[0] += 1
        decision = rules.relevance(case.document)
        outcome = -1
        if decision.relevant and case.relevant:
            outcome = 0
        elif decision.relevant:
            outcome = 1
            mistakes.append(f"{case.id}: kept, but not relevant ({decision.reasons[-1]})")
        elif case.relevant:
            outcome = 2
            mistakes.append(f"{case.id}: missed ({'; '.join(decision.reasons)})")
        if outcome >= 0:
            relevance[outcome] += 1
            own_relevance[outcome] += 1
        if case.relevant:
            found = {t.slug for t in rules.tags(case.document)}
            _score_tags(case, found, rules, facets, mistakes)
            _score_tags(case, found, rules, own_facets, [])
    return {
        "cases": len(cases),
        "relevance": _prf(*relevance),
        "tags": _prf(*_totals(facets)),
        "facets": {facet: _prf(*counts) for facet, counts in sorted(facets.items())},
        "languages": {code: {"cases": count[0], "relevance": _prf(*own_relevance),
                             "tags": _prf(*_totals(own_facets))}
                      for code, (own_relevance, own_facets, count) in sorted(by_language.items())},
        "mistakes": mistakes,
    }


def _totals(facets: dict[str, list[int]]) -> list[int]:
    return [sum(counts[i] for counts in facets.values()) for i in range(3)]


def _score_tags(case: Case, found: set[str], rules: Rules, facets: dict[str, list[int]],
                mistakes: list[str]) -> None:
    for slug in sorted(found | case.tags):
        counts = facets.setdefault(rules.facet(slug), [0, 0, 0])
        if slug in found and slug in case.tags:
            counts[0] += 1
        elif slug in found:
            counts[1] += 1
            mistakes.append(f"{case.id}: extra tag {slug}")
        else:
            counts[2] += 1
            mistakes.append(f"{case.id}: missing tag {slug}")
