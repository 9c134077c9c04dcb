"""Near-duplicates: reprints with a new intro, a changed headline or an extra line.

MinHash-LSH (datasketch) over word shingles of the *extracted* text, so boilerplate plays no
part. Each story's signature is stored with it, so the index is reloaded from the store (not
rehashed) when a crawl starts, and it is shared by every crawler of the process: a new article
is checked against every stored story, not only this run's.
"""

from __future__ import annotations

import re
import threading

import numpy as np
from datasketch import LeanMinHash, MinHash, MinHashLSH
from sqlalchemy import select, update

from hsctwatch.store import Article, Store

NUM_PERM = 128
SHINGLE = 4
SEED = 1
#: LSH's candidate threshold, then the estimated Jaccard a candidate must reach. On the labelled
#: pairs (bench/eval_dedup.py) reprints cut short score from 0.48, two outlets' own reports of one
#: event at most 0.03: the line sits well clear of both.
LSH_THRESHOLD = 0.3
MIN_JACCARD = 0.35
MIN_SHINGLES = 60  # shorter texts (teasers) are not compared: too little to tell copies apart


def shingles(text: str, size: int = SHINGLE) -> set[bytes]:
    words = re.findall(r"\w+", text.lower())
    return {" ".join(words[i:i + size]).encode() for i in range(max(len(words) - size + 1, 0))}


def signature(text: str) -> LeanMinHash | None:
    grams = shingles(text)
    if len(grams) < MIN_SHINGLES:
        return None
    minhash = MinHash(num_perm=NUM_PERM, seed=SEED)
    minhash.update_batch(list(grams))
    return LeanMinHash(minhash)


SCHEME = MinHash(num_perm=1, seed=SEED).scheme  # the hash scheme stored signatures were made with


def to_bytes(minhash: LeanMinHash) -> bytes:
    return np.asarray(minhash.hashvalues, dtype=np.uint64).tobytes()


def from_bytes(data: bytes) -> LeanMinHash:
    return LeanMinHash(seed=SEED, hashvalues=np.frombuffer(data, dtype=np.uint64), scheme=SCHEME)


class NearDuplicateIndex:
    def __init__(self) -> None:
        self.lsh = MinHashLSH(threshold=LSH_THRESHOLD, num_perm=NUM_PERM)
        self.signatures: dict[int, LeanMinHash] = {}
        self.lock = threading.Lock()

    @classmethod
    def from_store(cls, store: Store) -> NearDuplicateIndex:
        """Load every stored signature; hash (and save) the texts stored without one."""
        index = cls()
        missing: list[tuple[int, bytes]] = []
        with store.session() as session:
            rows = session.execute(select(Article.id, Article.minhash)).all()
            for article_id, blob in rows:
                if blob:
                    index._insert(article_id, from_bytes(blob))
                    continue
                text = session.scalar(select(Article.text).where(Article.id == article_id)) or ""
                minhash = signature(text)
                if minhash is not None:
                    index._insert(article_id, minhash)
                    missing.append((article_id, to_bytes(minhash)))
            for article_id, blob in missing:
                session.execute(update(Article).where(Article.id == article_id).values(minhash=blob))
        return index

    def add(self, article_id: int, text: str) -> bytes | None:
        """Index (or re-index) a story's text; returns the signature to store with it."""
        minhash = signature(text)
        with self.lock:
            if article_id in self.signatures:
                self.lsh.remove(article_id)
                del self.signatures[article_id]
        if minhash is None:
            return None
        self._insert(article_id, minhash)
        return to_bytes(minhash)

    def _insert(self, article_id: int, minhash: LeanMinHash) -> None:
        with self.lock:
            if article_id not in self.signatures:
                self.signatures[article_id] = minhash
                self.lsh.insert(article_id, minhash)

    def find(self, text: str) -> tuple[int, float] | None:
        """The most similar stored story and its estimated Jaccard similarity, if close enough."""
        minhash = signature(text)
        if minhash is None:
            return None
        return self.find_signature(minhash)

    def find_signature(self, minhash: LeanMinHash) -> tuple[int, float] | None:
        with self.lock:
            candidates = [(key, self.signatures[key].jaccard(minhash)) for key in self.lsh.query(minhash)]
        best = max(candidates, key=lambda c: (c[1], -c[0]), default=None)
        return best if best and best[1] >= MIN_JACCARD else None

    def __len__(self) -> int:
        return len(self.signatures)


_INDEXES: dict[str, NearDuplicateIndex] = {}
_LOCK = threading.Lock()


def shared_index(store: Store) -> NearDuplicateIndex:
    with _LOCK:
        if store.url not in _INDEXES:
            _INDEXES[store.url] = NearDuplicateIndex.from_store(store)
        return _INDEXES[store.url]
