"""Near-duplicates: reprints with a new intro, a changed headline or an extra line.

MinHash-LSH (datasketch) over word shingles of the *extracted* text, so boilerplate plays no
part. The index is rebuilt from the store when a crawl starts and shared by every crawler of
the process, so a new article is checked against every stored story, not only this run's.
"""

from __future__ import annotations

import re
import threading

from datasketch import MinHash, MinHashLSH
from sqlalchemy import select

from hsctwatch.store import Article, Store

NUM_PERM = 128
SHINGLE = 4
#: LSH's candidate threshold, then the estimated Jaccard a candidate must reach.
LSH_THRESHOLD = 0.4
MIN_JACCARD = 0.5
MIN_WORDS = 60  # shorter texts (teasers) are not compared: too little to tell copies apart


def shingles(text: str, size: int = SHINGLE) -> set[bytes]:
    words = re.findall(r"\w+", text.lower())
    return {" ".join(words[i:i + size]).encode() for i in range(max(len(words) - size + 1, 0))}


def signature(text: str) -> MinHash | None:
    grams = shingles(text)
    if len(grams) < MIN_WORDS:
        return None
    minhash = MinHash(num_perm=NUM_PERM)
    minhash.update_batch(list(grams))
    return minhash


class NearDuplicateIndex:
    def __init__(self) -> None:
        self.lsh = MinHashLSH(threshold=LSH_THRESHOLD, num_perm=NUM_PERM)
        self.signatures: dict[int, MinHash] = {}
        self.lock = threading.Lock()

    @classmethod
    def from_store(cls, store: Store) -> NearDuplicateIndex:
        index = cls()
        with store.session() as session:
            for article_id, text in session.execute(select(Article.id, Article.text)):
                index.add(article_id, text)
        return index

    def add(self, article_id: int, text: str) -> None:
        minhash = signature(text)
        with self.lock:
            if minhash is None or article_id in self.signatures:
                return
            self.signatures[article_id] = minhash
            self.lsh.insert(article_id, minhash)

    def find(self, text: str) -> tuple[int, float] | None:
        """The most similar stored story and its estimated Jaccard similarity, if close enough."""
        minhash = signature(text)
        if minhash is None:
            return None
        with self.lock:
            candidates = [(key, self.signatures[key].jaccard(minhash)) for key in self.lsh.query(minhash)]
        best = max(candidates, key=lambda c: c[1], default=None)
        return best if best and best[1] >= MIN_JACCARD else None


_INDEXES: dict[str, NearDuplicateIndex] = {}
_LOCK = threading.Lock()


def shared_index(store: Store) -> NearDuplicateIndex:
    with _LOCK:
        if store.url not in _INDEXES:
            _INDEXES[store.url] = NearDuplicateIndex.from_store(store)
        return _INDEXES[store.url]
