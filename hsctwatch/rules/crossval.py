"""Relevance by the rules alone and with the learned model, cross-validated on a labelled corpus.

k-fold: the cases are split into k parts; each part is scored by a model trained on the other
k − 1 (and on every blind batch given), so no case is ever scored by a model that saw it. A blind
batch (hsctwatch.rules.learned.blind_batch) is scored whole by a model trained on every other
case — leave one batch out — so that its figure is one of text the model never read, as the newest
batch is for the model that ships. A held-out folder (hsctwatch.rules.learned.held_out) is scored
the same way and is never trained on.

The tags are measured the same way: on the cases labelled relevant, the rules' tags alone and
with the tag models' evidence (`learned_tags`, `news` given only when no other type fits), per
facet and micro-averaged, each case's tags by models that never read it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from hsctwatch.rules.evaluate import Case
from hsctwatch.rules.learned import (
    Example,
    Model,
    blind_batch,
    combined,
    known_languages,
    language_of,
    learnable_tags,
    learned_tags,
    training_corpus,
    vetoed,
)
from hsctwatch.rules.loading import Rules
from hsctwatch.rules.model import Relevance


@dataclass(frozen=True)
class Figures:
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def figures(pairs: Sequence[tuple[bool, bool]]) -> Figures:
    """Precision and recall of (decided, labelled) pairs."""
    return Figures(sum(d and t for d, t in pairs), sum(d and not t for d, t in pairs),
                   sum(t and not d for d, t in pairs))


@dataclass
class CrossValidation:
    folds: int
    weight: float
    trained_on: int  # cases in the pool the folds are cut from
    # name, cases, rules alone, combined
    rows: list[tuple[str, int, Figures, Figures]] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)  # what the model changed, case by case
    # name, the tags' figures per facet and "micro": rules alone, with the tag models
    tag_rows: list[tuple[str, dict[str, Figures], dict[str, Figures]]] = field(default_factory=list)
    tag_changes: list[str] = field(default_factory=list)  # tags the models added or removed, right or wrong


def cross_validate(groups: Mapping[str, Sequence[Case]], rules: Rules, *, weight: float, folds: int = 10,
                   held: Sequence[str] = (), seed: int = 0) -> CrossValidation:
    """Each group's relevance figures, rules alone and combined with a model it was never
    trained on. The groups that are blind batches are each scored by a model trained on all the
    other groups but the held-out ones (``held``: only scored, never trained on), or on the default
    training corpus without that batch when no other group is given; the rest are cut into folds.
    A case in a language the model learned from too few articles of is decided by the rules alone,
    as in the pipeline."""
    batches = [name for name in groups if name in held or blind_batch(name)]
    pool = [c for name, cases in groups.items() if name not in batches for c in cases]
    trainable = {name: list(cases) for name, cases in groups.items() if name not in held}
    slugs = learnable_tags(rules.facets)
    in_batches = [c for name in batches if name in trainable for c in trainable[name]]
    probability, tagged = _out_of_fold(pool, folds, seed, in_batches, slugs)
    known: dict[str, frozenset[str]] = {}
    for name in batches:
        others = [c for other, cases in trainable.items() if other != name for c in cases]
        trained_on = others or training_corpus(without=[name])
        known[name] = known_languages(c.document for c in trained_on)
        model = Model.train(_examples(trained_on), tags=slugs)
        _score(model, groups[name], probability, tagged)
    everywhere = known_languages(c.document for cases in trainable.values() for c in cases)
    result = CrossValidation(min(folds, _folds_possible(pool)) if pool else 0, weight, len(pool))
    everything: list[tuple[Relevance, Relevance, bool]] = []
    every_tag: list[TagPair] = []
    for name, cases in groups.items():
        decided = []
        for case in cases:
            alone = rules.relevance(case.document)
            unknown = language_of(case.document) not in known.get(name, everywhere)
            both = alone if vetoed(alone) or unknown else combined(
                alone, probability[case], weight, rules.threshold)
            decided.append((alone, both, case.relevant))
            if alone.relevant != both.relevant:
                result.changes.append(_change(case, alone, both, probability[case]))
        everything += decided
        result.rows.append((name, len(cases), figures([(a.relevant, t) for a, _, t in decided]),
                            figures([(b.relevant, t) for _, b, t in decided])))
        tag_pairs = [_tag_pair(case, rules, tagged[case] if language_of(case.document) in known.get(
            name, everywhere) else {}, result.tag_changes) for case in cases if case.relevant]
        every_tag += tag_pairs
        result.tag_rows.append((name, *_tag_figures(tag_pairs, rules)))
    if len(groups) > 1:
        result.rows.append(("all", len(everything), figures([(a.relevant, t) for a, _, t in everything]),
                            figures([(b.relevant, t) for _, b, t in everything])))
        result.tag_rows.append(("all", *_tag_figures(every_tag, rules)))
    return result


TagPair = tuple[frozenset[str], frozenset[str], frozenset[str]]  # rules alone, with the models, labelled


def _tag_pair(case: Case, rules: Rules, probabilities: dict[str, float], changes: list[str]) -> TagPair:
    """A relevant case's tags by the rules alone and with the tag models, and its labels."""
    found = rules.tags(case.document)
    alone = frozenset(m.slug for m in found)
    both = frozenset(m.slug for m in learned_tags(found, probabilities, rules.facet))
    for slug in sorted(alone ^ both):
        verb = "added" if slug in both else "removed"
        right = "right" if (slug in both) == (slug in case.tags) else "wrong"
        changes.append(f"{case.id}: {slug} {verb} by the tag model ({right}; probability "
                       f"{probabilities.get(slug, 0.0):.2f})")
    return alone, both, case.tags


def _tag_figures(pairs: Sequence[TagPair], rules: Rules) -> tuple[dict[str, Figures], dict[str, Figures]]:
    """Per facet and micro-averaged ("micro"): the rules' tags alone, and with the tag models."""
    out: tuple[dict[str, Figures], dict[str, Figures]] = ({}, {})
    for side, table in enumerate(out):
        counts: dict[str, list[int]] = {}
        for pair in pairs:
            found, truth = pair[side], pair[2]
            for slug in found | truth:
                row = counts.setdefault(rules.facet(slug), [0, 0, 0])
                row[0 if slug in found and slug in truth else 1 if slug in found else 2] += 1
        for facet, (tp, fp, fn) in sorted(counts.items()):
            table[facet] = Figures(tp, fp, fn)
        table["micro"] = Figures(*(sum(c[i] for c in counts.values()) for i in range(3)))
    return out


def _score(model: Model, cases: Sequence[Case], probability: dict[Case, float],
           tagged: dict[Case, dict[str, float]]) -> None:
    """The model's relevance probability for each case, and its tags' for the relevant ones."""
    probability.update(zip(cases, model.probabilities([c.document for c in cases]), strict=True))
    relevant = [c for c in cases if c.relevant]
    tagged.update(zip(relevant, model.tag_probabilities([c.document for c in relevant]), strict=True))


def _examples(cases: Sequence[Case]) -> list[Example]:
    return [Example(c.document, c.relevant, c.tags if c.relevant else None) for c in cases]


def _folds_possible(cases: Sequence[Case]) -> int:
    return min(sum(c.relevant for c in cases), sum(not c.relevant for c in cases))


def _out_of_fold(cases: Sequence[Case], folds: int, seed: int, also: Sequence[Case] = (),
                 tags: Sequence[str] = ()) -> tuple[dict[Case, float], dict[Case, dict[str, float]]]:
    """Each case's probability (and each relevant case's tags') from the model trained on the
    folds it is not in (and on ``also``, the blind batches, which are scored apart)."""
    out: dict[Case, float] = {}
    tagged: dict[Case, dict[str, float]] = {}
    if not cases:
        return out, tagged
    from sklearn.model_selection import StratifiedKFold

    k = min(folds, _folds_possible(cases))
    if k < 2:
        raise ValueError("cross-validation needs at least two relevant and two irrelevant cases")
    labels = [c.relevant for c in cases]
    for train, test in StratifiedKFold(k, shuffle=True, random_state=seed).split(labels, labels):
        model = Model.train(_examples([cases[i] for i in train] + list(also)), tags=tags)
        _score(model, [cases[i] for i in test], out, tagged)
    return out, tagged


def _change(case: Case, alone: Relevance, both: Relevance, p: float) -> str:
    verb = "kept" if both.relevant else "dropped"
    right = "right" if both.relevant == case.relevant else "wrong"
    label = "relevant" if case.relevant else "not relevant"
    return (f"{case.id}: {verb} by the model ({right}: labelled {label}; rules {alone.score:.2f} → "
            f"{both.score:.2f}, probability {p:.2f})")
