"""Near-duplicates: reprints with a new intro, a changed headline or an extra line.

MinHash-LSH (datasketch) over word shingles of the *extracted* text, so boilerplate plays no
part. Each story's signature is stored with it, so the index is reloaded from the store (not
rehashed) when a crawl starts, and it is shared by every crawler of the process: a new article
is checked against every stored story, not only this run's. Crawls in other processes store
stories too: `refresh` loads the signatures written since the index last looked (in the order of
the store's story lock, Story.signature_seq).
"""

from __future__ import annotations

import functools
import re
import threading

import numpy as np
from datasketch import LeanMinHash, MinHash
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from hsctwatch.stories.models import Store, Story

NUM_PERM = 128
SHINGLE = 4
SEED = 1
#: The estimated Jaccard a candidate must reach. On the labelled pairs (bench/eval_dedup.py)
#: reprints cut short score from 0.48, two outlets' own reports of one event at most 0.03: the
#: line sits well clear of both.
MIN_JACCARD = 0.35
#: LSH bands × rows: a pair at Jaccard 0.35 becomes a candidate with probability 0.84, at 0.48
#: with 0.99, at 0.05 with 0.005.
BANDS, ROWS = 42, 3
RESORT_AFTER = 5000
_MIX = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9], dtype=np.uint64)
MIN_SHINGLES = 60  # shorter texts (teasers) are not compared: too little to tell copies apart


def shingles(text: str, size: int = SHINGLE) -> set[bytes]:
    words = re.findall(r"\w+", text.lower())
    if size < 1:
        return {" ".join(words[i:i + size]).encode() for i in range(max(len(words) - size + 1, 0))}
    return {" ".join(gram).encode() for gram in zip(*(words[i:] for i in range(size)), strict=False)}


def signature(text: str) -> LeanMinHash | None:
    """The text's MinHash, or None for a text too short to compare. The dedup stage hashes an
    item's text and the store stage indexes the same text: the last few are kept, not rehashed."""
    return _signature(text)


def from_hashvalues(hashvalues: np.ndarray) -> LeanMinHash:
    """A signature from its hash values, as a worker process sends them."""
    return LeanMinHash(seed=SEED, hashvalues=hashvalues, scheme=_empty().scheme)



@functools.lru_cache(maxsize=16)
def _signature(text: str) -> LeanMinHash | None:
    grams = shingles(text)
    if len(grams) < MIN_SHINGLES:
        return None
    template = _empty()  # the permutations a MinHash of this seed makes, made once
    minhash = MinHash(num_perm=NUM_PERM, seed=SEED, permutations=template.permutations,
                      scheme=template.scheme)
    minhash.update_batch(list(grams))
    return LeanMinHash(minhash)


@functools.cache
def _empty() -> MinHash:
    return MinHash(num_perm=NUM_PERM, seed=SEED)


def to_bytes(minhash: LeanMinHash) -> bytes:
    return np.asarray(minhash.hashvalues, dtype=np.uint64).tobytes()


def from_bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype=np.uint64).astype(np.uint32)


class NearDuplicateIndex:
    """Banded LSH over MinHash signatures, kept compact in numpy arrays.

    datasketch's MinHashLSH keeps a Python set per bucket per band: measured at about 9 KB a
    story, 900 MB for 100k stories. Here every signature is one row of a uint32 matrix, and each
    band's keys a sorted array searched with numpy (new stories wait in a small dict until the
    next re-sort): about 1 KB a story. datasketch still makes the signatures.
    """

    def __init__(self, capacity: int = 1024) -> None:
        self.matrix = np.zeros((capacity, NUM_PERM), dtype=np.uint32)
        self.ids = np.zeros(capacity, dtype=np.int64)
        self.rows: dict[int, int] = {}
        self.size = 0
        self.removed: set[int] = set()
        self.sorted_keys = np.zeros((BANDS, 0), dtype=np.uint64)
        self.sorted_rows = np.zeros((BANDS, 0), dtype=np.int32)
        self.pending: dict[tuple[int, int], list[int]] = {}
        self.pending_rows = 0
        self.lock = threading.Lock()
        self.seq = 0  # the newest Story.signature_seq loaded: later ones were stored since

    def refresh(self, session: Session) -> int:
        """Load the signatures stored (or changed) since the index last looked, by this process
        or any other; returns how many. Cheap when there are none (one indexed query)."""
        rows = session.execute(select(Story.id, Story.minhash, Story.signature_seq)
                               .where(Story.signature_seq > self.seq).order_by(Story.signature_seq)).all()
        with self.lock:
            for article_id, blob, seq in rows:
                self._remove(article_id)
                if blob:
                    self._index_row(self._append(article_id, from_bytes(blob)))
                self.seq = max(self.seq, int(seq or 0))
        return len(rows)

    def seen(self, seq: int) -> None:
        """This process committed signatures numbered `seq`, after loading every earlier one."""
        with self.lock:
            self.seq = max(self.seq, seq)

    @classmethod
    def from_store(cls, store: Store) -> NearDuplicateIndex:
        """Load every stored signature; hash (and save) the texts stored without one."""
        with store.session() as session:
            count = session.scalar(select(func.count()).select_from(Story)) or 0
            index = cls(capacity=max(1024, int(count * 1.1)))
            # what is stored from here on is loaded by refresh (again, if the scan below sees it)
            index.seq = session.scalar(select(func.max(Story.signature_seq))) or 0
            missing: list[tuple[int, bytes]] = []
            rows = session.execute(select(Story.id, Story.minhash).execution_options(yield_per=2000))
            for article_id, blob in rows:  # streamed: 100k signatures never sit in memory twice
                if blob:
                    index._append(article_id, from_bytes(blob))
                    continue
                text = session.scalar(select(Story.text).where(Story.id == article_id)) or ""
                minhash = signature(text)
                if minhash is not None:
                    index._append(article_id, np.asarray(minhash.hashvalues, dtype=np.uint32))
                    missing.append((article_id, to_bytes(minhash)))
            for article_id, data in missing:
                session.execute(update(Story).where(Story.id == article_id).values(minhash=data))
        index._sort()
        return index

    def add(self, article_id: int, text: str) -> bytes | None:
        """Index (or re-index) a story's text; returns the signature to store with it."""
        minhash = signature(text)
        with self.lock:
            self._remove(article_id)
            if minhash is None:
                return None
            self._index_row(self._append(article_id, np.asarray(minhash.hashvalues, dtype=np.uint32)))
        return to_bytes(minhash)

    def _index_row(self, row: int) -> None:
        """Make a new row findable: its band keys wait in `pending` until the next re-sort."""
        for band, key in enumerate(_band_keys(self.matrix[row : row + 1])[0]):
            self.pending.setdefault((band, int(key)), []).append(row)
        self.pending_rows += 1
        if self.pending_rows > RESORT_AFTER:
            self._sort()

    def _append(self, article_id: int, hashvalues: np.ndarray) -> int:
        if self.size == len(self.matrix):
            grow = max(1024, self.size)
            self.matrix = np.vstack([self.matrix, np.zeros((grow, NUM_PERM), dtype=np.uint32)])
            self.ids = np.concatenate([self.ids, np.zeros(grow, dtype=np.int64)])
        row = self.size
        self.matrix[row] = hashvalues
        self.ids[row] = article_id
        self.rows[article_id] = row
        self.size += 1
        return row

    def _remove(self, article_id: int) -> None:
        row = self.rows.pop(article_id, None)
        if row is not None:
            self.removed.add(row)

    def _sort(self) -> None:
        """Sort each band's keys; band by band, so the temporaries stay one band wide."""
        self.sorted_keys = np.empty((BANDS, self.size), dtype=np.uint64)
        self.sorted_rows = np.empty((BANDS, self.size), dtype=np.int32)
        for band in range(BANDS):
            keys = _keys_of_band(self.matrix[: self.size], band)
            order = np.argsort(keys, kind="stable")
            self.sorted_rows[band] = order
            self.sorted_keys[band] = keys[order]
        self.pending.clear()
        self.pending_rows = 0

    def _candidates(self, hashvalues: np.ndarray) -> set[int]:
        keys = _band_keys(hashvalues[None, :])[0]
        found: set[int] = set()
        for band, key in enumerate(keys):
            sorted_keys = self.sorted_keys[band]
            lo = int(np.searchsorted(sorted_keys, key, side="left"))
            hi = int(np.searchsorted(sorted_keys, key, side="right"))
            if hi > lo:
                found.update(self.sorted_rows[band][lo:hi].tolist())
            found.update(self.pending.get((band, int(key)), ()))
        return found - self.removed

    def find(self, text: str) -> tuple[int, float] | None:
        """The most similar stored story and its estimated Jaccard similarity, if close enough."""
        minhash = signature(text)
        if minhash is None:
            return None
        return self.find_signature(np.asarray(minhash.hashvalues, dtype=np.uint32))

    def find_signature(self, hashvalues: np.ndarray) -> tuple[int, float] | None:
        with self.lock:
            rows = sorted(self._candidates(hashvalues))
            if not rows:
                return None
            similarity = (self.matrix[rows] == hashvalues).mean(axis=1)
            best = int(np.argmax(similarity))
            article_id, score = int(self.ids[rows[best]]), float(similarity[best])
        return (article_id, score) if score >= MIN_JACCARD else None

    def similarity(self, article_id: int, text: str) -> float:
        """The estimated Jaccard similarity of a text to one stored story (for evaluation)."""
        minhash = signature(text)
        row = self.rows.get(article_id)
        if minhash is None or row is None:
            return 0.0
        return float((self.matrix[row] == np.asarray(minhash.hashvalues, dtype=np.uint32)).mean())

    def __len__(self) -> int:
        return len(self.rows)


def _keys_of_band(matrix: np.ndarray, band: int) -> np.ndarray:
    """One 64-bit key per signature for one band, mixing the band's values."""
    values = matrix[:, band * ROWS : (band + 1) * ROWS].astype(np.uint64)
    return (values * _MIX).sum(axis=1, dtype=np.uint64)


def _band_keys(matrix: np.ndarray) -> np.ndarray:
    """The keys of every band of a few signatures (rows × bands): `_keys_of_band` for all bands
    in one pass."""
    values = matrix[:, : BANDS * ROWS].astype(np.uint64).reshape(len(matrix), BANDS, ROWS)
    return (values * _MIX).sum(axis=2, dtype=np.uint64)


_INDEXES: dict[str, NearDuplicateIndex] = {}
_LOCK = threading.Lock()


def shared_index(store: Store) -> NearDuplicateIndex:
    with _LOCK:
        if store.url not in _INDEXES:
            _INDEXES[store.url] = NearDuplicateIndex.from_store(store)
        return _INDEXES[store.url]
