"""The learned model: a statistical second opinion on relevance, trained on what editors decided.

The rules read an article the way the policy says; they miss what nobody wrote a rule for (a
patient's diary that calls the transplant "my stem cells went back in", a thread that never
names the procedure). A linear model over words and two-word phrases (scikit-learn: TF-IDF and
logistic regression) learns such wording from labelled articles — the corpus, and the desk's
approvals, rejections and retaggings (hsctwatch.stories.learning) — and adds its evidence to
the rules' score:

    score = rules' score + weight × (2p − 1)      (p: the model's probability that it is relevant)

so the model moves the score by at most ``weight`` either way, and only a model that is sure
moves it far. The rules' reasons stay; the model adds its probability and the words that
weighed most for and against, so an editor sees both. A page the rules found is not an article
is never promoted.

The same words, read once per article, also weigh on its type and topic tags: a model per tag,
learned from the labelled articles' tags, adds a tag the rules missed when it is sure of it
(`TAG_ADD`) and takes off one it is sure is wrong (`TAG_REMOVE`); `news` then stays the type given
only when no other type fits. An added tag's evidence is the model's probability, so an editor
sees where it came from.

The model is a file (NumPy's .npz: its vocabulary, idf and coefficients, read without
scikit-learn or unpickling; hsctwatch.rules.linear) versioned with the digest of the rules it was
trained beside and the size of its training data. Missing, unreadable or made for other rules,
it is not used: the rules decide alone and the reasons say so.

A model reads words, so it only knows the languages it learned from: it weighs in on an article
in a language it saw at least `LANGUAGE_MIN` labelled articles of (English, from the corpus; any
other, once the desk's decisions in it are enough), and leaves the others to the rules, saying so.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeGuard

from hsctwatch.rules.evaluate import DEFAULT_CORPUS, Case, load_corpus
from hsctwatch.rules.languages import MAIN
from hsctwatch.rules.linear import Linear, Row
from hsctwatch.rules.model import Document, Evidence, Relevance, TagMatch

FORMAT = 4  # of the saved file; another format is retrained, not read (4: no scikit-learn objects)
#: Logistic regression's inverse regularisation: chosen by cross-validation on the corpus (README)
C = 100.0
_BATCH = re.compile(r"^([A-Za-z]+)-(\d{1,2})$")  # a blind batch: <language>-<number>
#: The labelled articles of a language the model must have learned from to weigh in on one
LANGUAGE_MIN = 20
#: The tag models: their inverse regularisation, the probability at which one adds a tag the rules
#: missed and under which one removes a tag the rules gave; measured leave one batch out (README)
TAG_C = 10.0
TAG_ADD = 0.8
TAG_REMOVE = 0.05
#: The facets the tag models read, and the type given when no other fits (never learned)
TAG_FACETS = ("type", "topic")
DEFAULT_TYPE = "news"
#: A tag is learned from at least this many labelled articles that have it
TAG_MIN = 3


def blind_batch(folder: str | Path) -> bool:
    """Is the folder a blind batch (``en-3``, ``de-2``)? `hsct-watch eval` scores each one by a
    model trained without it, so that its figure is one of text the model never read."""
    return bool(_BATCH.match(Path(folder).resolve().name))


#: The words that weighed most for relevance and against it, each with its part of the log-odds
Weighing = tuple[list[tuple[str, float]], list[tuple[str, float]]]


def held_out(folder: str | Path) -> bool:
    """A blind batch of another language than the main one, after the first of its language
    (``de-2``…), is held out: scored, never trained on, so that it stays a measure of text
    nobody tuned anything for. The English batches are all trained on, each but the one scored
    (`blind_batch`)."""
    found = _BATCH.match(Path(folder).resolve().name)
    return bool(found and found.group(1).lower() != MAIN["code"] and int(found.group(2)) >= 2)


def default_training() -> list[Path]:
    """The folders trained on by default: everything labelled that ships in the main language —
    the corpus and every English blind batch, those of them present."""
    batches = sorted((DEFAULT_CORPUS / "blind").glob(f"{MAIN['code']}-*"),
                     key=lambda p: int(p.name.split("-")[1]) if p.name.split("-")[1].isdigit() else 0)
    return [f for f in (DEFAULT_CORPUS, *batches) if f.is_dir() and not held_out(f)]


def training_corpus(folders: Iterable[str | Path] = (), *, without: Iterable[str | Path] = ()) -> list[Case]:
    """The labelled cases of the folders (default: `default_training`), leaving out the folders
    ``without`` (a batch being scored); a held-out folder is refused."""
    left_out = {Path(f).resolve() for f in without}
    chosen = [Path(f) for f in folders] or default_training()
    chosen = [f for f in chosen if f.resolve() not in left_out]
    cases: list[Case] = []
    for folder in chosen:
        if held_out(folder):
            raise ValueError(f"{folder} is a held-out batch: it is never trained on")
        cases += load_corpus(folder)
    return cases


@dataclass(frozen=True)
class Example:
    """One labelled document to learn from."""

    document: Document
    relevant: bool
    tags: frozenset[str] | None = None  # a relevant article's tags, when known: the tag models learn them


def text_of(doc: Document) -> str:
    """What the model reads: the headline, the standfirst and the text."""
    return "\n".join((doc.title, doc.summary, doc.text))


def language_of(doc: Document) -> str:
    """The document's language, the main rules' when it has none."""
    return doc.language or MAIN["code"]


def known_languages(docs: Iterable[Document]) -> frozenset[str]:
    """The languages of which there are enough documents to learn from."""
    counts = Counter(language_of(d) for d in docs)
    return frozenset(code for code, n in counts.items() if n >= LANGUAGE_MIN)


@dataclass
class Model:
    """A trained model and what it was trained on. scikit-learn fits it (`train`); it scores
    without scikit-learn (hsctwatch.rules.linear), so that a crawl never imports it."""

    linear: Linear
    meta: dict[str, Any] = field(default_factory=dict)
    _last: tuple[str, Row] | None = field(default=None, init=False, repr=False, compare=False)
    #: the file it was read from, as `load_model` tells files apart (path, inode, time, size): the
    #: same in every process that reads that file; () for a model not read by `load_model`
    source: tuple[Any, ...] = field(default=(), init=False, repr=False, compare=False)

    @classmethod
    def train(cls, examples: Sequence[Example], *, tags: Iterable[str] = (), **meta: Any) -> Model:
        """Fit on the examples; and a model per tag of ``tags`` (slugs) on the relevant examples
        whose tags are known; ``meta`` (rules digest, counts) is saved with the model."""
        from sklearn import __version__ as sklearn_version
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        labels = [e.relevant for e in examples]
        if len(set(labels)) < 2:
            raise ValueError("the training data needs relevant and irrelevant articles")
        vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2)
        features = vectorizer.fit_transform([text_of(e.document) for e in examples])
        classifier = LogisticRegression(C=C, class_weight="balanced", solver="liblinear")
        classifier.fit(features, labels)
        tag_classifiers = _tag_classifiers(examples, features, tags)
        meta = {"format": FORMAT, "sklearn": sklearn_version, "examples": len(examples),
                "relevant": sum(labels), "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "languages": dict(Counter(language_of(e.document) for e in examples)),
                "tags": sorted(tag_classifiers), **meta}
        return cls.of_fitted(vectorizer, classifier, meta, tag_classifiers)

    @classmethod
    def of_fitted(cls, vectorizer: Any, classifier: Any, meta: Mapping[str, Any],
                  tag_classifiers: Mapping[str, Any]) -> Model:
        """The model of a fitted TfidfVectorizer and LogisticRegressions, taken out of them."""
        return cls(Linear.of_fitted(vectorizer, classifier, tag_classifiers), dict(meta))

    @property
    def rules_digest(self) -> str:
        return str(self.meta.get("rules_digest", ""))

    @property
    def tag_models(self) -> tuple[str, ...]:
        """The tags it has a model for (slugs)."""
        return self.linear.tags

    def knows(self, doc: Document) -> bool:
        """Did it learn from enough articles in the document's language to weigh in on it?"""
        return int(self.meta.get("languages", {}).get(language_of(doc), 0)) >= LANGUAGE_MIN

    def row(self, doc: Document) -> Row:
        """The document's words as the model reads them: one reading per article, kept for the
        last article read, so that relevance, the words that weighed and the tags share it."""
        text, last = text_of(doc), self._last
        if last is None or last[0] != text:
            last = self._last = (text, self.linear.row(text))
        return last[1]

    def probabilities(self, docs: Sequence[Document]) -> list[float]:
        return [self.linear.probability(self.linear.row(text_of(d))) for d in docs]

    def probability(self, doc: Document) -> float:
        """How likely the model finds the document relevant (0–1)."""
        return self.linear.probability(self.row(doc))

    def tag_probabilities(self, docs: Sequence[Document]) -> list[dict[str, float]]:
        """For each document, how likely each learned tag is (slug: 0–1)."""
        if not self.linear.tags:
            return [{} for _ in docs]
        return [self.linear.tag_probabilities(self.linear.row(text_of(d))) for d in docs]

    def tag_probability(self, doc: Document) -> dict[str, float]:
        """How likely each learned tag is for the document (slug: 0–1)."""
        return self.linear.tag_probabilities(self.row(doc)) if self.linear.tags else {}

    def reading(self, doc: Document) -> tuple[float, Weighing]:
        """`probability` and `weighing` of the document, from one reading of its text (reading
        the text costs more than the model's arithmetic)."""
        row = self.row(doc)
        return self.linear.probability(row), self._weighing(row)

    def weighing(self, doc: Document, n: int = 5) -> Weighing:
        """The words and phrases of the document that weighed most for and against relevance,
        with their part of the model's log-odds."""
        return self._weighing(self.row(doc), n)

    def _weighing(self, row: Row, n: int = 5) -> Weighing:
        return self.linear.weighed(row, n)

    # -- the file ------------------------------------------------------------------------------

    def save(self, path: str | Path) -> None:
        """Written whole or not at all (a temporary file renamed over the old one)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=".model-", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as out:
                self.linear.write(out, self.meta)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: str | Path) -> Model:
        """The saved model; ValueError saying why when the file is missing, unreadable, or made by
        another version of this code (then it must be retrained). Read without scikit-learn: the
        file holds the model's words and numbers only."""
        path = Path(path)
        if not path.is_file():
            raise ValueError(f"no model file at {path}")
        try:
            linear, meta = Linear.read(path)
        except Exception as exc:  # a truncated or foreign file (or one of an older format): retrain
            raise ValueError(f"cannot read the model at {path} ({type(exc).__name__})") from None
        if meta.get("format") != FORMAT:
            raise ValueError(f"the model at {path} was made by another version; retrain it")
        return cls(linear, meta)


@dataclass(frozen=True)
class ModelReading:
    """What the model read in one document, made ahead of the relevance and tag stages (by the
    worker process that reads the page, hsctwatch.crawl.worker): its probability of relevance,
    the words that weighed and each learned tag's probability. It counts only for the model of
    the same file (`source`) and, as the item's judgement checks, the same document."""

    source: tuple[Any, ...]
    probability: float
    weighing: Weighing
    tags: dict[str, float]


@dataclass(frozen=True)
class Learned:
    """The model as the relevance stage uses it: applied with its weight, or a note saying why
    the rules decide alone. Off (``enabled=False``), it changes nothing, not even the reasons."""

    enabled: bool = False
    model: Model | None = None
    weight: float = 0.0
    threshold: float = 0.5
    note: str = ""  # why there is no model, when enabled without one

    @classmethod
    def load(cls, path: str | Path | None, *, weight: float, threshold: float, rules_digest: str) -> Learned:
        """The model at ``path`` for rules of ``rules_digest``; no path: off."""
        if not path:
            return cls()
        try:
            model = load_model(Path(path))
        except ValueError as exc:
            return cls(True, None, weight, threshold, f"{exc}; `hsct-watch train` makes one")
        if model.rules_digest != rules_digest:
            return cls(True, None, weight, threshold,
                       "the model was trained beside other rules; `hsct-watch train` retrains it")
        return cls(True, model, weight, threshold)

    def read_ahead(self, doc: Document, decision: Relevance) -> ModelReading | None:
        """What `combine` and `retag` will read in the document, read now (by the worker
        process); None where they read nothing: off, no model, a page the rules found is not an
        article, a language the model did not learn."""
        model = self.model
        if not self.enabled or model is None or not model.source or vetoed(decision) or not model.knows(doc):
            return None
        p, weighing = model.reading(doc)
        return ModelReading(model.source, p, weighing, model.tag_probability(doc))

    def takes(self, ahead: ModelReading | None) -> TypeGuard[ModelReading]:
        """Is a reading made ahead this model's (read from the same file)?"""
        return ahead is not None and self.model is not None and bool(ahead.source) \
            and ahead.source == self.model.source

    def combine(self, doc: Document, decision: Relevance, ahead: ModelReading | None = None) -> Relevance:
        """The rules' decision with the model's evidence added; unchanged when off. ``ahead``:
        the model's reading of this document made by the worker process, taken when it is this
        model's."""
        if not self.enabled:
            return decision
        if self.model is None:
            note = f"learned model not used: {self.note}; the rules decide alone"
            return Relevance(decision.relevant, decision.score, (*decision.reasons, note))
        if vetoed(decision):
            return decision
        if not self.model.knows(doc):
            note = (f"learned model not used: it learned from too few articles in {language_of(doc)!r}; "
                    "the rules decide alone")
            return Relevance(decision.relevant, decision.score, (*decision.reasons, note))
        p, weighing = (ahead.probability, ahead.weighing) if self.takes(ahead) else self.model.reading(doc)
        return combined(decision, p, self.weight, self.threshold, weighing)


    def retag(self, doc: Document, found: Sequence[TagMatch], facet: Callable[[str], str],
              ahead: ModelReading | None = None) -> list[TagMatch]:
        """The rules' tags with the tag models' evidence (`learned_tags`); unchanged when off,
        without a model or in a language it did not learn. ``ahead`` as for `combine`."""
        model = self.model
        if not self.enabled or model is None or not model.tag_models or not model.knows(doc):
            return list(found)
        probabilities = ahead.tags if self.takes(ahead) else model.tag_probability(doc)
        return learned_tags(found, probabilities, facet)


def learned_tags(found: Sequence[TagMatch], probabilities: Mapping[str, float],
                 facet: Callable[[str], str]) -> list[TagMatch]:
    """The rules' tags, less those a tag model is sure are wrong (under `TAG_REMOVE`), plus those
    it is sure of (`TAG_ADD`), their evidence its probability; then `news` is the type only when
    no other type fits."""
    kept = [m for m in found if probabilities.get(m.slug, 1.0) >= TAG_REMOVE]
    have = {m.slug for m in kept}
    kept += [TagMatch(facet(slug), slug, (Evidence(f"learned model, probability {p:.2f}", "model"),))
             for slug, p in sorted(probabilities.items()) if p >= TAG_ADD and slug not in have]
    typed = [m for m in kept if m.facet == "type" and m.slug != DEFAULT_TYPE]
    if typed:
        return [m for m in kept if m.slug != DEFAULT_TYPE]
    if any(m.slug == DEFAULT_TYPE for m in kept):
        return kept
    news = next((m for m in found if m.slug == DEFAULT_TYPE), None)
    return [*kept, news or TagMatch(facet(DEFAULT_TYPE), DEFAULT_TYPE, ())]


def learnable_tags(facets: Mapping[str, Sequence[str]]) -> list[str]:
    """The tags the tag models learn: every type and topic tag but the default type."""
    return [slug for name in TAG_FACETS for slug in facets.get(name, ()) if slug != DEFAULT_TYPE]


def _tag_classifiers(examples: Sequence[Example], features: Any, tags: Iterable[str]) -> dict[str, Any]:
    """A logistic regression per tag, on the rows of the relevant examples whose tags are known;
    a tag that too few (or all) of them have is not learned."""
    from sklearn.linear_model import LogisticRegression

    tagged = [i for i, e in enumerate(examples) if e.relevant and e.tags is not None]
    if not tagged:
        return {}
    rows = features[tagged]
    out: dict[str, Any] = {}
    for slug in tags:
        labels = [slug in (examples[i].tags or ()) for i in tagged]
        if TAG_MIN <= sum(labels) < len(labels):
            classifier = LogisticRegression(C=TAG_C, class_weight="balanced", solver="liblinear")
            out[slug] = classifier.fit(rows, labels)
    return out


def vetoed(decision: Relevance) -> bool:
    """A page the rules found is not an article (a tag index, search results): never promoted."""
    return bool(decision.reasons) and decision.reasons[0].startswith("not an article")


def combined(decision: Relevance, p: float, weight: float, threshold: float,
             weighing: tuple[list[tuple[str, float]], list[tuple[str, float]]] | None = None) -> Relevance:
    """The score with the model's evidence, bounded by ``weight``, and the reasons for both."""
    evidence = weight * (2 * p - 1)
    score = round(min(max(decision.score + evidence, 0.0), 1.0), 3)
    relevant = score >= threshold
    said = f"learned model: relevant with probability {p:.2f} ({evidence:+.2f} to the score)"
    reasons = [*decision.reasons, said]
    if weighing:
        for side, words in zip(("for", "against"), weighing, strict=True):
            listed = ", ".join(f"'{w}' {v:+.2f}" for w, v in words) or "none"
            reasons.append(f"words that weighed {side} it: {listed}")
    reasons.append(f"score with the model {score:.2f} {'≥' if relevant else '<'} threshold {threshold:.2f}"
                   f" (rules alone {decision.score:.2f})")
    return Relevance(relevant, score, tuple(reasons))


_LOADED: dict[tuple[str, int, int, int], Model] = {}


def load_model(path: Path) -> Model:
    """`Model.load`, once per process for a file until it changes: each crawler of a run has a
    relevance stage, and the desk checks the model after each decision."""
    try:
        stat = path.stat()
    except OSError:
        raise ValueError(f"no model file at {path}") from None
    key = (str(path.resolve()), stat.st_ino, stat.st_mtime_ns, stat.st_size)
    if key not in _LOADED:
        _LOADED.clear()
        model = Model.load(path)
        model.source = key
        _LOADED[key] = model
    return _LOADED[key]
