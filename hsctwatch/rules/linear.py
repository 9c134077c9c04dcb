"""The learned model's arithmetic, without scikit-learn: what a crawl needs to score an article.

scikit-learn trains the model (hsctwatch.rules.learned); what the fitted TF-IDF vectorizer and
logistic regressions know is then a vocabulary, an idf per word or phrase, and a vector of
coefficients with an intercept per model. Scoring an article with them is a few lines of
arithmetic, done here the way scikit-learn does it — the same tokens (lower case, words of two
or more characters, and each pair of neighbours), the same sublinear tf × idf, L2-normalised,
and the logistic of the dot product — so that the probabilities agree with scikit-learn's to
the last digits (tests/test_learned.py checks it over the corpus). A crawl then neither imports
scikit-learn and SciPy (about 60 MB a process) nor pays for their sparse matrices per article,
and the model file holds only numbers and words (NumPy's .npz, read without unpickling).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import IO, Any

import numpy as np

#: scikit-learn's default token_pattern: words of two or more word characters
_TOKEN = re.compile(r"(?u)\b\w\w+\b")
#: The vectorizer's settings this arithmetic reproduces (Model.train sets them)
_SETTINGS = {"analyzer": "word", "lowercase": True, "preprocessor": None, "tokenizer": None,
             "token_pattern": r"(?u)\b\w\w+\b", "strip_accents": None, "stop_words": None,
             "ngram_range": (1, 2), "binary": False, "norm": "l2", "use_idf": True, "sublinear_tf": True}


@dataclass(frozen=True, eq=False)
class Row:
    """An article's words as the model reads them: the columns it has (in order) and their
    tf-idf weights, L2-normalised."""

    columns: np.ndarray  # int
    values: np.ndarray  # float64


def _in_order(values: np.ndarray) -> float:
    """The values added one after the other, in order, as a Python loop (and SciPy's sparse
    product) adds them: NumPy's accumulate adds in order, where its sum adds pairwise (and so
    may differ in the last bits)."""
    return float(np.add.accumulate(values)[-1]) if len(values) else 0.0


def _logistic(x: float) -> float:
    """scikit-learn's (SciPy's expit): 1 / (1 + e^-x)."""
    try:
        return 1.0 / (1.0 + math.exp(-x))
    except OverflowError:  # e^-x beyond a float: x is very negative
        return 0.0


class Linear:
    """The vocabulary, the idf and the coefficients of a trained model: the relevance model's
    and one per learned tag."""

    __slots__ = ("coef", "idf", "intercept", "pair_columns", "pair_keys", "tag_coef", "tag_intercept", "tags",
                 "terms", "word_columns", "words")

    def __init__(self, terms: Sequence[str], idf: np.ndarray, coef: np.ndarray, intercept: float,
                 tags: Sequence[str] = (), tag_coef: np.ndarray | None = None,
                 tag_intercept: np.ndarray | None = None):
        n = len(terms)
        tag_coef = np.zeros((0, n)) if tag_coef is None else tag_coef
        tag_intercept = np.zeros(0) if tag_intercept is None else tag_intercept
        if idf.shape != (n,) or coef.shape != (n,) or tag_coef.shape != (len(tags), n) \
                or tag_intercept.shape != (len(tags),):
            raise ValueError("the model's words and numbers do not agree")
        self.terms = list(terms)
        self.idf = np.ascontiguousarray(idf, dtype=np.float64)
        self.coef = np.ascontiguousarray(coef, dtype=np.float64)
        self.intercept = float(intercept)
        self.tags = tuple(tags)
        self.tag_coef = np.ascontiguousarray(tag_coef, dtype=np.float64)
        self.tag_intercept = [float(b) for b in tag_intercept]
        self._index_words()

    def _index_words(self) -> None:
        """The vocabulary as numbers, to read a text with NumPy: a number for each word of a
        term (`words`), the column of each word that is a term on its own (`word_columns`, -1
        for one found only in pairs), and each pair of words as one number (first × how many
        words + second: `pair_keys`, in order) with its column (`pair_columns`)."""
        split = [term.split(" ") for term in self.terms]
        self.words: dict[str, int] = {}
        for grams in split:
            for gram in grams:
                self.words.setdefault(gram, len(self.words))
        columns = np.full(len(self.words), -1, dtype=np.intp)
        pairs: dict[int, int] = {}
        n = max(len(self.words), 1)
        for j, grams in enumerate(split):
            if len(grams) == 1:
                columns[self.words[grams[0]]] = j
            elif len(grams) == 2:
                pairs[self.words[grams[0]] * n + self.words[grams[1]]] = j
        self.word_columns = columns
        keys = sorted(pairs)
        self.pair_keys = np.array(keys, dtype=np.int64)
        self.pair_columns = np.array([pairs[k] for k in keys], dtype=np.intp)

    @classmethod
    def of_fitted(cls, vectorizer: Any, classifier: Any, tag_classifiers: Mapping[str, Any]) -> Linear:
        """What a fitted TfidfVectorizer and LogisticRegressions (binary: not relevant, relevant)
        know, taken out of them."""
        params = vectorizer.get_params()
        different = {k for k, v in _SETTINGS.items() if params.get(k) != v}
        if different:
            raise ValueError(f"the vectorizer's {', '.join(sorted(different))} cannot be scored here")
        for clf in (classifier, *tag_classifiers.values()):
            if [bool(c) for c in clf.classes_] != [False, True] or clf.coef_.shape[0] != 1:
                raise ValueError("the model must be a logistic regression of not relevant, relevant")
        slugs = list(tag_classifiers)
        n = len(vectorizer.vocabulary_)
        terms = [""] * n
        for term, j in vectorizer.vocabulary_.items():
            terms[j] = term
        return cls(terms, np.asarray(vectorizer.idf_, dtype=np.float64), classifier.coef_[0],
                   float(classifier.intercept_[0]), slugs,
                   np.array([tag_classifiers[s].coef_[0] for s in slugs]).reshape(len(slugs), n),
                   np.array([float(tag_classifiers[s].intercept_[0]) for s in slugs]))

    # -- scoring ---------------------------------------------------------------------------------

    def row(self, text: str) -> Row:
        """The text's tf-idf row, as TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
        transforms it: counts of the known words and pairs, 1 + log of each, times its idf, the
        whole divided by its length (the sum of squares added in column order, as scikit-learn
        does)."""
        tokens = _TOKEN.findall(text.lower())
        ids = np.fromiter(map(self.words.get, tokens, repeat(-1)), dtype=np.int64, count=len(tokens))
        known = ids[ids >= 0]
        words = self.word_columns[known]
        found = [words[words >= 0]]
        first, second = ids[:-1], ids[1:]
        both = (first >= 0) & (second >= 0)
        if both.any() and len(self.pair_keys):
            keys = first[both] * max(len(self.word_columns), 1) + second[both]
            at = np.minimum(np.searchsorted(self.pair_keys, keys), len(self.pair_keys) - 1)
            found.append(self.pair_columns[at[self.pair_keys[at] == keys]])
        columns, counts = np.unique(np.concatenate(found), return_counts=True)
        columns = columns.astype(np.intp)
        values = counts.astype(np.float64)
        np.log(values, out=values)
        values += 1.0
        values *= self.idf[columns]
        total = _in_order(values * values)
        if total != 0.0:
            values /= math.sqrt(total)
        return Row(columns, values)

    @staticmethod
    def _decision(row: Row, coef: np.ndarray, intercept: float) -> float:
        """The dot product, added in column order (as SciPy's sparse product does), and the
        intercept."""
        return _in_order(row.values * coef[row.columns]) + intercept

    def probability(self, row: Row) -> float:
        """The relevance model's probability that the article is relevant."""
        return _logistic(self._decision(row, self.coef, self.intercept))

    def tag_probabilities(self, row: Row) -> dict[str, float]:
        """Each learned tag's probability (slug: 0–1): every tag's products at once, each tag's
        added in column order."""
        if not self.tags:
            return {}
        if not len(row.columns):
            return {slug: _logistic(0.0 + b) for slug, b in zip(self.tags, self.tag_intercept, strict=True)}
        totals = np.add.accumulate(self.tag_coef[:, row.columns] * row.values, axis=1)[:, -1].tolist()
        return {slug: _logistic(total + b)
                for slug, total, b in zip(self.tags, totals, self.tag_intercept, strict=True)}

    def parts(self, row: Row) -> list[tuple[str, float]]:
        """Each word or phrase of the row with its part of the relevance model's log-odds, in
        column order."""
        terms = self.terms
        return [(terms[j], v * c) for j, v, c in zip(row.columns.tolist(), row.values.tolist(),
                                                     self.coef[row.columns].tolist(), strict=True)]

    def weighed(self, row: Row, n: int) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
        """The `n` words or phrases with the largest parts for relevance, largest first, and the
        `n` with the largest against, as sorting `parts` by part (a stable sort: equal parts in
        column order) and reading it from either end gives them."""
        products = row.values * self.coef[row.columns]
        order = np.argsort(products, kind="stable")
        terms, columns = self.terms, row.columns
        against = [(terms[columns[i]], float(products[i])) for i in order[:n].tolist() if products[i] < 0]
        ahead = order[::-1][:n].tolist()
        return [(terms[columns[i]], float(products[i])) for i in ahead if products[i] > 0], against

    # -- the file --------------------------------------------------------------------------------

    def write(self, out: IO[bytes], meta: Mapping[str, Any]) -> None:
        """The model and its ``meta`` (JSON-able) as a NumPy .npz: numbers and UTF-8 text only."""
        np.savez_compressed(
            out, meta=_bytes(json.dumps(dict(meta), ensure_ascii=False)), terms=_bytes("\n".join(self.terms)),
            tags=_bytes("\n".join(self.tags)), idf=self.idf, coef=self.coef,
            intercept=np.array([self.intercept]), tag_coef=self.tag_coef,
            tag_intercept=np.array(self.tag_intercept, dtype=np.float64))

    @classmethod
    def read(cls, path: str | Path) -> tuple[Linear, dict[str, Any]]:
        """The model and its meta from a file `write` made; an exception when it is not one."""
        with np.load(path, allow_pickle=False) as saved:
            meta = json.loads(_text(saved["meta"]))
            terms, tags = _text(saved["terms"]), _text(saved["tags"])
            model = cls(terms.split("\n") if terms else [], saved["idf"], saved["coef"],
                        float(saved["intercept"][0]), tags.split("\n") if tags else [],
                        saved["tag_coef"], saved["tag_intercept"])
        if not isinstance(meta, dict):
            raise ValueError("the model's meta is not a table")
        return model, meta


def _bytes(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-8"), dtype=np.uint8)


def _text(array: np.ndarray) -> str:
    if array.dtype != np.uint8:
        raise ValueError("not text")
    return array.tobytes().decode("utf-8")
