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

The model is a file (joblib) versioned with the digest of the rules it was trained beside and the
size of its training data. Missing, unreadable or made for other rules, it is not used: the rules
decide alone and the reasons say so.

A model reads words, so it only knows the languages it learned from: it weighs in on an article
in a language it saw at least `LANGUAGE_MIN` labelled articles of (English, from the corpus; any
other, once the desk's decisions in it are enough), and leaves the others to the rules, saying so.
"""

from __future__ import annotations

import functools
import os
import re
import tempfile
import warnings
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hsctwatch.rules.evaluate import DEFAULT_CORPUS, Case, load_corpus
from hsctwatch.rules.languages import MAIN
from hsctwatch.rules.model import Document, Relevance

FORMAT = 2  # of the saved file; another format is retrained, not read (2: the languages it learned)
#: Logistic regression's inverse regularisation: chosen by cross-validation on the corpus (README)
C = 100.0
#: The folders trained on by default: the corpus and the first English blind batch
DEFAULT_TRAINING = (DEFAULT_CORPUS, DEFAULT_CORPUS / "blind" / "en-1")
_BATCH = re.compile(r"^[A-Za-z]+-(\d{1,2})$")  # a blind batch: <language>-<number>
#: The labelled articles of a language the model must have learned from to weigh in on one
LANGUAGE_MIN = 20
#: The words that weighed most for relevance and against it, each with its part of the log-odds
Weighing = tuple[list[tuple[str, float]], list[tuple[str, float]]]


def held_out(folder: str | Path) -> bool:
    """A blind batch after the first of its language (``de-2``…) is held out: scored, never
    trained on, so that it stays a measure of text nobody tuned anything for."""
    found = _BATCH.match(Path(folder).resolve().name)
    return bool(found and int(found.group(1)) >= 2)


def training_corpus(folders: Iterable[str | Path] = ()) -> list[Case]:
    """The labelled cases of the folders (default: the shipped corpus and blind/en-1, those of
    them present); a held-out folder is refused."""
    chosen = [Path(f) for f in folders] or [f for f in DEFAULT_TRAINING if f.is_dir()]
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
    """A trained model and what it was trained on."""

    vectorizer: Any  # TfidfVectorizer
    classifier: Any  # LogisticRegression
    meta: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def train(cls, examples: Sequence[Example], **meta: Any) -> Model:
        """Fit on the examples; ``meta`` (rules digest, counts) is saved with the model."""
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
        meta = {"format": FORMAT, "sklearn": sklearn_version, "examples": len(examples),
                "relevant": sum(labels), "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "languages": dict(Counter(language_of(e.document) for e in examples)), **meta}
        return cls(vectorizer, classifier, meta)

    @property
    def rules_digest(self) -> str:
        return str(self.meta.get("rules_digest", ""))

    def knows(self, doc: Document) -> bool:
        """Did it learn from enough articles in the document's language to weigh in on it?"""
        return int(self.meta.get("languages", {}).get(language_of(doc), 0)) >= LANGUAGE_MIN

    def probabilities(self, docs: Sequence[Document]) -> list[float]:
        rows = self.vectorizer.transform([text_of(d) for d in docs])
        return [float(p) for p in self.classifier.predict_proba(rows)[:, 1]]

    def probability(self, doc: Document) -> float:
        """How likely the model finds the document relevant (0–1)."""
        return self.probabilities([doc])[0]

    def reading(self, doc: Document) -> tuple[float, Weighing]:
        """`probability` and `weighing` of the document, from one reading of its text (the
        vectorizer's pass over a text costs more than the model's arithmetic)."""
        row = self.vectorizer.transform([text_of(doc)])
        return float(self.classifier.predict_proba(row)[0, 1]), self._weighing(row)

    def weighing(self, doc: Document, n: int = 5) -> Weighing:
        """The words and phrases of the document that weighed most for and against relevance,
        with their part of the model's log-odds."""
        return self._weighing(self.vectorizer.transform([text_of(doc)]), n)

    @functools.cached_property
    def feature_names(self) -> Any:
        """The vectorizer's words and phrases by column, made once: scikit-learn sorts the whole
        vocabulary to make them, which cost more per article than everything else the model does."""
        return self.vectorizer.get_feature_names_out()

    def _weighing(self, features: Any, n: int = 5) -> Weighing:
        row = features.tocoo()
        names = self.feature_names
        weights = self.classifier.coef_[0]
        parts = sorted(((str(names[j]), float(v * weights[j]))
                        for j, v in zip(row.col, row.data, strict=True)), key=lambda part: part[1])
        return ([p for p in reversed(parts) if p[1] > 0][:n], [p for p in parts if p[1] < 0][:n])

    # -- the file ------------------------------------------------------------------------------

    def save(self, path: str | Path) -> None:
        """Written whole or not at all (a temporary file renamed over the old one)."""
        import joblib

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=".model-", dir=path.parent)
        os.close(fd)
        try:
            joblib.dump({"meta": self.meta, "vectorizer": self.vectorizer, "classifier": self.classifier},
                        temporary)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: str | Path) -> Model:
        """The saved model; ValueError saying why when the file is missing, unreadable, or made by
        another version of this code or of scikit-learn (then it must be retrained)."""
        path = Path(path)
        if not path.is_file():
            raise ValueError(f"no model file at {path}")
        import joblib
        from sklearn import __version__ as sklearn_version
        from sklearn.exceptions import InconsistentVersionWarning

        try:
            with warnings.catch_warnings():  # scikit-learn warns when unpickling another version's
                warnings.simplefilter("error", InconsistentVersionWarning)
                saved = joblib.load(path)
            meta = dict(saved["meta"])
            model = cls(saved["vectorizer"], saved["classifier"], meta)
        except Exception as exc:  # a truncated or foreign file: retrain
            raise ValueError(f"cannot read the model at {path} ({type(exc).__name__})") from None
        if meta.get("format") != FORMAT or meta.get("sklearn") != sklearn_version:
            raise ValueError(f"the model at {path} was made by another version; retrain it")
        return model


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

    def combine(self, doc: Document, decision: Relevance) -> Relevance:
        """The rules' decision with the model's evidence added; unchanged when off."""
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
        p, weighing = self.model.reading(doc)
        return combined(decision, p, self.weight, self.threshold, weighing)


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
        _LOADED[key] = Model.load(path)
    return _LOADED[key]
