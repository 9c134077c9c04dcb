"""Measuring duplicate detection on a labelled set of pairs (tests/dedup_pairs.toml).

Each pair is judged the way the pipeline judges a new article against a stored one:
identical text, else MinHash-LSH near-duplicate, else partial copy (hsctwatch.stories.neardup) —
both ways round, since either copy may arrive first.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hsctwatch.samples.server import load_articles, paragraphs
from hsctwatch.scraped import content_hash
from hsctwatch.stories.neardup import NearDuplicateIndex, partial_copy


@dataclass(frozen=True)
class Pair:
    kind: str
    a: str
    b: str
    duplicate: bool
    label: str


@dataclass(frozen=True)
class Judgement:
    pair: Pair
    predicted: bool
    similarity: float  # estimated Jaccard of the two texts' shingles
    containment: float = 0.0  # of the shorter in the longer, when it carries the longer's opening
    reason: str = ""  # how a duplicate was found: identical-text, near-duplicate, partial-copy

    @property
    def correct(self) -> bool:
        return self.predicted == self.pair.duplicate


def load_pairs(path: Path) -> list[Pair]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    texts = {t["id"]: t["body"].strip() for t in data.get("text", [])}
    samples = {a["path"]: "\n\n".join(paragraphs(a)) for a in load_articles()["article"]}

    def side(ref: str) -> str:
        kind, _, key = ref.partition(":")
        source = samples if kind == "sample" else texts
        if key not in source:
            raise ValueError(f"{path}: no {kind} {key!r}")
        return source[key]

    pairs = []
    for raw in data["pair"]:
        a = side(raw["a"])
        b = _edit(a, raw["edit"]) if "edit" in raw else side(raw["b"])
        pairs.append(Pair(raw["kind"], a, b, bool(raw["duplicate"]), f"{raw['kind']}: {raw['a']}"))
    return pairs


def _edit(text: str, edit: dict[str, Any]) -> str:
    parts = text.split("\n\n")
    if edit.get("keep_first"):  # a partial copy: the first N paragraphs
        parts = parts[: int(edit["keep_first"])]
    if edit.get("drop_last"):
        parts = parts[: -int(edit["drop_last"])]
    if edit.get("insert"):
        parts.insert(len(parts) // 2, edit["insert"])
    for old, new in edit.get("replace", []):
        parts = [p.replace(old, new) for p in parts]
    parts = list(edit.get("prefix", [])) + parts + list(edit.get("suffix", []))
    return "\n\n".join(parts)


def judge(pair: Pair) -> Judgement:
    """A pair is a duplicate when either text, stored first, makes the other its copy; the two
    orders must agree, or the pair is judged wrong."""
    if content_hash(pair.a) == content_hash(pair.b):
        return Judgement(pair, True, 1.0, 1.0, "identical-text")
    found = [_found(stored, new) for stored, new in ((pair.a, pair.b), (pair.b, pair.a))]
    index = NearDuplicateIndex()
    index.add(1, pair.a)
    similarity, containment = index.similarity(1, pair.b), partial_copy(pair.a, pair.b)
    if (found[0] is None) != (found[1] is None):  # one order merges, the other does not
        return Judgement(pair, not pair.duplicate, similarity, containment, "order-dependent")
    reason = found[0] or ""
    return Judgement(pair, bool(reason), similarity, containment, reason)


def _found(stored: str, new: str) -> str | None:
    index = NearDuplicateIndex(texts=lambda ids: {1: stored})
    index.add(1, stored)
    match = index.find_copy(new)
    return match.reason if match else None


def evaluate(path: Path) -> dict[str, Any]:
    judgements = [judge(p) for p in load_pairs(path)]
    tp = sum(j.predicted and j.pair.duplicate for j in judgements)
    fp = sum(j.predicted and not j.pair.duplicate for j in judgements)
    fn = sum(not j.predicted and j.pair.duplicate for j in judgements)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    by_kind: dict[str, list[int]] = {}
    for j in judgements:
        counts = by_kind.setdefault(j.pair.kind, [0, 0])
        counts[0] += j.correct
        counts[1] += 1
    return {
        "pairs": len(judgements), "precision": precision, "recall": recall,
        "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        "by_kind": {k: {"correct": c, "total": t} for k, (c, t) in by_kind.items()},
        "errors": [(j.pair.label, j.pair.duplicate, round(j.similarity, 3), round(j.containment, 3))
                   for j in judgements if not j.correct],
        "judgements": judgements,
    }
