"""How well the rules match the editorial policy, on a labelled corpus.

The corpus is TOML files of `[[case]]` tables (title, summary, text, relevant, tags, note): what
an editor following TAXONOMY.md decided, written before the rules were tuned. Relevance is
scored on every case; tags on the relevant cases, per facet (micro-averaged).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hsctwatch.taxonomy import Document, Rules


@dataclass(frozen=True)
class Case:
    id: str
    document: Document
    relevant: bool
    tags: frozenset[str]
    note: str = ""


def load_corpus(folder: Path) -> list[Case]:
    cases = []
    for path in sorted(Path(folder).glob("*.toml")):
        for raw in tomllib.loads(path.read_text(encoding="utf-8")).get("case", []):
            cases.append(Case(
                id=f"{path.stem}/{raw['id']}",
                document=Document(title=raw["title"], summary=raw.get("summary", ""),
                                  text=raw["text"].strip()),
                relevant=bool(raw["relevant"]),
                tags=frozenset(raw.get("tags", [])),
                note=raw.get("note", ""),
            ))
    return cases


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "tp": tp, "fp": fp, "fn": fn}


def evaluate(cases: list[Case], rules: Rules) -> dict[str, Any]:
    tp = fp = fn = 0
    facet_counts: dict[str, list[int]] = {}
    mistakes: list[str] = []
    for case in cases:
        decision = rules.relevance(case.document)
        if decision.relevant and case.relevant:
            tp += 1
        elif decision.relevant:
            fp += 1
            mistakes.append(f"{case.id}: kept, but not relevant ({decision.reasons[-1]})")
        elif case.relevant:
            fn += 1
            mistakes.append(f"{case.id}: missed ({decision.reasons[-1]})")
        if not case.relevant:
            continue
        found = {t.slug for t in rules.tags(case.document)}
        for slug in found | case.tags:
            facet = rules.facet(slug)
            counts = facet_counts.setdefault(facet, [0, 0, 0])
            if slug in found and slug in case.tags:
                counts[0] += 1
            elif slug in found:
                counts[1] += 1
                mistakes.append(f"{case.id}: extra tag {slug}")
            else:
                counts[2] += 1
                mistakes.append(f"{case.id}: missing tag {slug}")
    totals = [sum(c[i] for c in facet_counts.values()) for i in range(3)]
    return {
        "cases": len(cases),
        "relevance": _prf(tp, fp, fn),
        "tags": _prf(*totals),
        "facets": {facet: _prf(*counts) for facet, counts in sorted(facet_counts.items())},
        "mistakes": mistakes,
    }
