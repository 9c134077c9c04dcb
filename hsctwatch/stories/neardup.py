"""Near-duplicates: reprints with a new intro, a changed headline or an extra line, and
partial copies — a reblog of an article's first paragraphs with an intro line and a link back.

Reprints: MinHash-LSH (datasketch) over word shingles of the *extracted* text, so boilerplate
plays no part. A partial copy shares too little of the whole to reach the Jaccard line, so its
candidates come from a second index, of fingerprints chosen by winnowing (Schleimer, Wilkerson
and Aiken, 2003) from each text's opening: any run of 19 words two openings share gives both the
same fingerprint. A candidate is a copy when most of the shorter text lies in the longer
(containment, on the exact shingles) and the shorter carries the longer's opening paragraph — a
blog that quotes a paragraph among its own, or another outlet's own report, stays apart.

Each story's signature and fingerprints are stored with it, so the index is reloaded from the
store (not rehashed) when a crawl starts, and it is shared by every crawler of the process: a new
article is checked against every stored story, not only this run's. Crawls in other processes
store stories too: `refresh` loads the signatures and fingerprints written since the index last
looked (in the order of the store's story lock, Story.signature_seq).
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import re
import threading
import zlib
from array import array
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from datasketch import LeanMinHash, MinHash

if TYPE_CHECKING:  # the worker process, which makes signatures only, does without the store's modules
    from sqlalchemy.orm import Session

    from hsctwatch.stories.models import Store

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
KEPT_SIGNATURES = 8192  # signatures kept in memory when the store keeps them all: 4 MB
#: Rows indexed since the last sort, at most (their band keys are scanned, not searched). When
#: the sort comes is part of the answers, not only of the speed: a fingerprint in more than
#: COMMON_PRINT sorted rows is skipped, while rows still waiting give their first COMMON_PRINT,
#: so sorting sooner changes the partial-copy candidates (after 1,000: 3,412 stories instead of
#: 3,422 in the benchmark's check crawl).
RESORT_AFTER = 5000
PREFIX_BITS = 26  # of each band key, in the sorted array (bits 32-57; the band above, the row below)
_BAND_BITS = np.arange(BANDS, dtype=np.uint64) << np.uint64(64 - 6)
_ROW_MASK = np.uint64(0xFFFFFFFF)
_MIX = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9], dtype=np.uint64)
MIN_SHINGLES = 60  # shorter texts (teasers) are not compared: too little to tell copies apart
#: Partial copies. Fingerprints come from each text's first OPENING_WORDS words, one per WINDOW
#: consecutive shingles at least: a shared run of WINDOW + SHINGLE - 1 = 19 words always gives
#: one. A stored story sharing MIN_PRINTS of them is a candidate, and a copy when at least
#: MIN_CONTAINMENT of the shorter text's shingles lie in the longer (and MIN_SHARED shingles, a
#: paragraph, at least), and the shorter carries LEDE_SHARE of the longer's first LEDE_WORDS
#: words: a partial copy reproduces the start. On the labelled pairs (bench/eval_dedup.py)
#: partial copies contain 0.64 and more, articles quoting an opening paragraph 0.17 at most.
OPENING_WORDS = 250
WINDOW = 16
MIN_PRINTS = 2
MIN_CONTAINMENT = 0.5
MIN_SHARED = 30
LEDE_WORDS = 40
LEDE_SHARE = 0.5
MAX_CANDIDATES = 5  # the stories sharing most fingerprints whose texts are compared
COMMON_PRINT = 200  # a fingerprint in more stories than this is a stock phrase: it is skipped
GRAMS_KEPT = 128  # the shingles of the stories last compared as partial copies, by id
ANSWERS_KEPT = 64  # find_copy's last answers, by text: the items between the dedup and store stages
_SIGNATURE_BYTES = NUM_PERM * 8
_WORD_MIX = np.array([0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB, 0xD6E8FEB86659FD93],
                     dtype=np.uint64)


class Match(NamedTuple):
    """The stored story an article copies, how alike they are, and how it was found."""

    story_id: int
    similarity: float  # estimated Jaccard (near-duplicate) or containment (partial copy)
    reason: str  # "near-duplicate" | "partial-copy"


_WORD = re.compile(r"\w+")


def shingles(text: str, size: int = SHINGLE) -> set[bytes]:
    words = _WORD.findall(text.lower())
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
    grams = _shingle_bytes(text)
    if len(grams) < MIN_SHINGLES:
        return None
    template = _empty()  # the permutations a MinHash of this seed makes, made once
    # the shingles hashed as datasketch's default (sha1_hash32) would, in one pass, not one call
    # each; datasketch then applies its permutations to those values (hashfunc=int: as they are)
    minhash = MinHash(num_perm=NUM_PERM, seed=SEED, permutations=template.permutations,
                      scheme=template.scheme, hashfunc=int)
    minhash.update_batch(_sha1_hash32(grams).tolist())
    return LeanMinHash(minhash)


def _shingle_bytes(text: str) -> set[bytes]:
    """`shingles`, each word encoded once rather than each shingle (UTF-8 of the joined words is
    the join of their UTF-8): the same set."""
    words = [w.encode() for w in _WORD.findall(text.lower())]
    return {b" ".join(gram) for gram in zip(*(words[i:] for i in range(SHINGLE)), strict=False)}


def _sha1_hash32(values: Iterable[bytes]) -> np.ndarray:
    """datasketch.hashfunc.sha1_hash32 of each value (the first 4 bytes of its SHA-1, little
    endian), read as one array."""
    sha1 = hashlib.sha1
    return np.frombuffer(b"".join([sha1(v).digest()[:4] for v in values]), dtype="<u4")


@functools.cache
def _empty() -> MinHash:
    return MinHash(num_perm=NUM_PERM, seed=SEED)


def fingerprints(text: str) -> np.ndarray:
    """The winnowed fingerprints of a text's opening (uint32, sorted, unique): in every WINDOW
    consecutive shingle hashes, the smallest. Stable across processes and versions of Python.
    The dedup stage's partial-copy check and the store stage's indexing ask for the same text's:
    the last few are kept (read-only)."""
    return _fingerprints(text)


@functools.lru_cache(maxsize=8)
def _fingerprints(text: str) -> np.ndarray:
    prints = _winnow(text)
    prints.flags.writeable = False
    return prints


def _winnow(text: str) -> np.ndarray:
    words = re.findall(r"\w+", text.lower())[:OPENING_WORDS]
    if len(words) < SHINGLE:
        return np.zeros(0, dtype=np.uint32)
    hashed = np.array([zlib.crc32(w.encode()) for w in words], dtype=np.uint64)
    grams = len(words) - SHINGLE + 1
    mixed = sum((hashed[i:i + grams] * _WORD_MIX[i] for i in range(SHINGLE)),
                start=np.zeros(grams, dtype=np.uint64))
    values = (mixed >> np.uint64(32)).astype(np.uint32)
    if grams <= WINDOW:
        return np.unique(values.min(keepdims=True))
    windows = np.lib.stride_tricks.sliding_window_view(values, WINDOW)
    return np.unique(windows.min(axis=1))


def to_bytes(minhash: LeanMinHash, prints: np.ndarray | None = None) -> bytes:
    """What a story keeps: its signature (uint64 each), then its fingerprints (uint32 each)."""
    data = np.asarray(minhash.hashvalues, dtype=np.uint64).tobytes()
    return data if prints is None else data + np.asarray(prints, dtype=np.uint32).tobytes()


def from_bytes(data: bytes) -> np.ndarray:
    """The signature of a stored story."""
    return np.frombuffer(data[:_SIGNATURE_BYTES], dtype=np.uint64).astype(np.uint32)


def partial_copy(a: str, b: str) -> float:
    """How much of the shorter text lies in the longer (the share of its shingles), when the
    shorter carries the longer's opening paragraph; 0.0 otherwise (a quote among its own words,
    a shared closing paragraph, a common phrase)."""
    return _contained(a, _grams(a), b, _grams(b))


Grams = set[tuple[str, ...]]


def _grams(text: str) -> Grams:
    """`shingles` as tuples of words, for counting what two texts share: the same sets (words
    hold no spaces, so joining them tells no two apart that the tuples do not), made without
    joining and encoding each one."""
    words = _WORD.findall(text.lower())
    return set(zip(*(words[i:] for i in range(SHINGLE)), strict=False))


def _contained(a: str, first: Grams, b: str, second: Grams,
               ledes: tuple[Grams | None, Grams | None] = (None, None)) -> float:
    """`partial_copy` of two texts whose shingles are already made (and their ledes, `_lede`,
    where known; else the longer's is made only for a pair sharing enough to need it)."""
    short, long_text, lede = (first, b, ledes[1]) if len(first) <= len(second) else (second, a, ledes[0])
    if not short:
        return 0.0
    long_grams = second if short is first else first
    shared = len(short & long_grams)
    if shared < MIN_SHARED:
        return 0.0
    lede = _lede(long_text) if lede is None else lede
    if not lede or len(lede & short) < LEDE_SHARE * len(lede):
        return 0.0
    return shared / len(short)


def _lede(text: str) -> Grams:
    """The shingles of a text's first LEDE_WORDS words (the words found up to there only)."""
    return _grams(" ".join(m.group() for m in itertools.islice(_WORD.finditer(text), LEDE_WORDS)))


class NearDuplicateIndex:
    """Banded LSH over MinHash signatures, kept compact in numpy arrays.

    datasketch's MinHashLSH keeps a Python set per bucket per band: measured at about 9 KB a
    story, 900 MB for 100k stories. Here every band key of every story is one uint64 in a single
    sorted array — the band's number, the key's first PREFIX_BITS bits and the story's row — so
    a lookup is two numpy searches for all bands at once (new stories wait in a small dict until
    the next re-sort). A story sharing a prefix is a candidate once its whole band key is the
    same, checked on its signature: the candidates are those of whole keys. The signatures are
    the store's (`signatures`, read for the few candidates of a lookup), or a matrix in memory
    for an index without a store. About 340 bytes a story; the fingerprints of the stories'
    openings, for partial copies, are one more sorted array (with the row of each): about 250.
    datasketch still makes the signatures.
    """

    def __init__(self, capacity: int = 1024,
                 texts: Callable[[Iterable[int]], dict[int, str]] | None = None,
                 signatures: Callable[[Iterable[int]], dict[int, bytes]] | None = None) -> None:
        # the signatures by row, unless the store keeps them (`signatures`: by id)
        self.matrix = np.zeros((capacity, NUM_PERM), dtype=np.uint32) if signatures is None else None
        self.signatures = signatures
        # with the store keeping them, the signatures of the KEPT_SIGNATURES rows appended last
        # (a crawl's own stories, most candidates of its next pages), each in a slot, in turn
        self.kept = np.zeros((KEPT_SIGNATURES if signatures else 0, NUM_PERM), dtype=np.uint32)
        self.kept_row = np.full(len(self.kept), -1, dtype=np.int64)
        self.kept_slot: dict[int, int] = {}
        self.kept_next = 0
        self.ids = np.zeros(capacity, dtype=np.int64)
        self.rows: dict[int, int] = {}
        self.size = 0
        self.removed: set[int] = set()
        # band, key prefix and row of every band key, sorted: the first `entries_size` of a
        # buffer that grows by half when full, then those of rows appended since, up to
        # `entries_filled` (sorted in place with them: a re-sort makes no second copy)
        self.entries_buffer = np.zeros(capacity * BANDS, dtype=np.uint64)
        self.entries_size = self.entries_filled = 0
        self._last_keys = np.zeros(BANDS, dtype=np.uint64)  # the band keys of the row appended last
        # the band keys of the rows indexed since the last sort (`_index_row`), and their rows
        self.pending = np.zeros((RESORT_AFTER + 1, BANDS), dtype=np.uint64)
        self.pending_row = np.zeros(RESORT_AFTER + 1, dtype=np.int64)
        self.pending_rows = 0
        # every row's fingerprints (`fingerprints`), sorted; those of rows added since, aside
        self.prints = np.zeros(0, dtype=np.uint64)  # fingerprint << 32 | row, sorted
        # the fingerprints of rows appended since the last sort, compact while a store loads:
        # their values, and each row with its number of them
        self.unsorted_keys = array("I")
        self.unsorted_rows = array("I")
        self.unsorted_counts = array("I")
        self.pending_prints: dict[int, list[int]] = {}
        # the stored stories' texts, by id, for telling a partial copy from a shared quote
        self.texts = texts
        self.lock = threading.Lock()
        self.seq = 0  # the newest Story.signature_seq loaded: later ones were stored since
        # changes with every story indexed, re-indexed or removed: an answer of find_copy for a
        # text holds while it is the same (the store stage asks again what the dedup stage asked)
        self.generation = 0
        self._answers: dict[tuple[str, bytes], tuple[int, Match | None]] = {}
        self._grams_kept: dict[int, tuple[str, Grams, Grams]] = {}

    def refresh(self, session: Session) -> int:
        """Load the signatures and fingerprints stored (or changed) since the index last looked,
        by this process or any other; returns how many. Cheap when there are none (one indexed
        query)."""
        from sqlalchemy import select

        from hsctwatch.stories.models import Story

        rows = session.execute(select(Story.id, Story.minhash, Story.signature_seq)
                               .where(Story.signature_seq > self.seq).order_by(Story.signature_seq)).all()
        with self.lock:
            for article_id, blob, seq in rows:
                self._remove(article_id)
                if blob and len(blob) >= _SIGNATURE_BYTES:
                    prints = np.frombuffer(blob[_SIGNATURE_BYTES:], dtype=np.uint32)
                    self._index_row(self._append(article_id, from_bytes(blob), prints), prints)
                self.seq = max(self.seq, int(seq or 0))
        return len(rows)

    def restore(self, session: Session, ids: Iterable[int]) -> None:
        """Index some stories as the store holds them (after a transaction that re-indexed them
        was undone): their stored signatures, or none."""
        from sqlalchemy import select

        from hsctwatch.stories.models import Story

        ids = sorted(set(ids))
        if not ids:
            return
        stored = dict(session.execute(select(Story.id, Story.minhash).where(Story.id.in_(ids))).all())
        with self.lock:
            for article_id in ids:
                self._remove(article_id)
                blob = stored.get(article_id)
                if blob and len(blob) >= _SIGNATURE_BYTES:
                    prints = np.frombuffer(blob[_SIGNATURE_BYTES:], dtype=np.uint32)
                    self._index_row(self._append(article_id, from_bytes(blob), prints), prints)

    def forget_since(self, seq: int) -> None:
        """Signatures numbered after `seq` were not committed after all: the next refresh loads
        what others store under those numbers."""
        with self.lock:
            self.seq = min(self.seq, seq)

    def seen(self, seq: int) -> None:
        """This process committed signatures numbered `seq`, after loading every earlier one."""
        with self.lock:
            self.seq = max(self.seq, seq)

    @classmethod
    def from_store(cls, store: Store) -> NearDuplicateIndex:
        """Load every stored signature and fingerprints; hash (and save) the texts stored
        without them (before a version that kept them, or never hashed)."""
        from sqlalchemy import func, select, update

        from hsctwatch.stories.models import Story

        with store.session() as session:
            count = session.scalar(select(func.count()).select_from(Story)) or 0
            index = cls(capacity=max(1024, int(count * 1.1)), texts=functools.partial(_stored_texts, store),
                        signatures=functools.partial(_stored_signatures, store))
            # what is stored from here on is loaded by refresh (again, if the scan below sees it)
            index.seq = session.scalar(select(func.max(Story.signature_seq))) or 0
            missing: list[tuple[int, bytes]] = []
            rows = session.execute(select(Story.id, Story.minhash).execution_options(yield_per=2000))
            for part in rows.partitions():  # streamed: 100k signatures never sit in memory at once
                blobs = [bytes(blob or b"") for _, blob in part]
                if all(len(blob) > _SIGNATURE_BYTES for blob in blobs):  # the part at once
                    first = index._append_rows([int(i) for i, _ in part], np.frombuffer(
                        b"".join(blob[:_SIGNATURE_BYTES] for blob in blobs), dtype=np.uint64
                    ).astype(np.uint32).reshape(len(blobs), NUM_PERM))
                    for row, blob in enumerate(blobs, start=first):
                        index._add_prints(row, blob[_SIGNATURE_BYTES:])
                    continue
                for (article_id, _), blob in zip(part, blobs, strict=True):
                    if len(blob) > _SIGNATURE_BYTES:
                        row = index._append(article_id, from_bytes(blob))
                        index._add_prints(row, blob[_SIGNATURE_BYTES:])
                        continue
                    text = session.scalar(select(Story.text).where(Story.id == article_id)) or ""
                    minhash = signature(text)
                    if minhash is not None:
                        prints = fingerprints(text)
                        index._append(article_id, np.asarray(minhash.hashvalues, dtype=np.uint32), prints)
                        missing.append((article_id, to_bytes(minhash, prints)))
            for article_id, data in missing:
                session.execute(update(Story).where(Story.id == article_id).values(minhash=data))
        index._sort()
        return index

    def add(self, article_id: int, text: str, minhash: LeanMinHash | None = None) -> bytes | None:
        """Index (or re-index) a story's text; returns the signature and fingerprints to store
        with it. `minhash`: the text's signature, when the caller has it (`signature(text)`)."""
        minhash = minhash if minhash is not None else signature(text)
        prints = fingerprints(text) if minhash is not None else None
        with self.lock:
            self._remove(article_id)
            if minhash is None or prints is None:
                return None
            self._index_row(self._append(article_id, np.asarray(minhash.hashvalues, dtype=np.uint32), prints),
                            prints)
        return to_bytes(minhash, prints)

    def _index_row(self, row: int, prints: np.ndarray) -> None:
        """Make a new row findable: its band keys and fingerprints wait in `pending` and
        `pending_prints` until the next re-sort."""
        self.pending[self.pending_rows] = self._last_keys
        self.pending_row[self.pending_rows] = row
        for key in prints.tolist():
            self.pending_prints.setdefault(key, []).append(row)
        self.pending_rows += 1
        if self.pending_rows > RESORT_AFTER:
            self._sort()

    def _append(self, article_id: int, hashvalues: np.ndarray, prints: np.ndarray | None = None) -> int:
        row = self._append_rows([article_id], hashvalues[None, :])
        if prints is not None:
            self._add_prints(row, np.asarray(prints, dtype=np.uint32).tobytes())
        return row

    def _append_rows(self, ids: list[int], hashvalues: np.ndarray) -> int:
        """Append stories (their signatures, rows × NUM_PERM): their band keys wait after the
        sorted ones until the next sort. Returns the first one's row."""
        first, count = self.size, len(ids)
        while self.size + count > len(self.ids):
            grow = max(1024, len(self.ids))
            self.ids = np.concatenate([self.ids, np.zeros(grow, dtype=np.int64)])
            if self.matrix is not None:
                self.matrix = np.vstack([self.matrix, np.zeros((grow, NUM_PERM), dtype=np.uint32)])
        self.generation += 1
        self.ids[first:first + count] = ids
        if self.matrix is not None:
            self.matrix[first:first + count] = hashvalues
        else:
            self._keep(first, hashvalues)
        for row, article_id in enumerate(ids, start=first):
            self.rows[article_id] = row
        self.size += count
        keys = _band_keys(hashvalues)
        self._last_keys = keys[-1]
        added = _entries(keys, np.arange(first, first + count, dtype=np.uint64)).ravel()
        filled = self.entries_filled + len(added)
        if filled > len(self.entries_buffer):
            grown = np.zeros(max(filled, len(self.entries_buffer) * 3 // 2), dtype=np.uint64)
            grown[: self.entries_filled] = self.entries_buffer[: self.entries_filled]
            self.entries_buffer = grown
        self.entries_buffer[self.entries_filled : filled] = added
        self.entries_filled = filled
        return first

    def _add_prints(self, row: int, prints: bytes) -> None:
        """A row's fingerprints (uint32 bytes), sorted in with the next _sort."""
        if prints:
            self.unsorted_keys.frombytes(prints)
            self.unsorted_rows.append(row)
            self.unsorted_counts.append(len(prints) // 4)

    def _remove(self, article_id: int) -> None:
        self.generation += 1
        row = self.rows.pop(article_id, None)
        if row is not None:
            self.removed.add(row)

    def _sort(self) -> None:
        """Sort the band keys of the rows appended since the last sort in with the others (in
        place, no index array)."""
        self.entries_size = self.entries_filled
        self.entries.sort()
        self._sort_prints()
        self.pending_prints.clear()
        self.pending_rows = 0

    def _sort_prints(self) -> None:
        """Merge the fingerprints of the rows appended since the last sort into the sorted array
        (one uint64 each, the fingerprint above its row: sorted in place, no index array)."""
        if not self.unsorted_keys:
            return
        added = np.frombuffer(self.unsorted_keys, dtype=np.uint32).astype(np.uint64)
        self.unsorted_keys = array("I")
        added <<= np.uint64(32)
        added |= np.repeat(np.frombuffer(self.unsorted_rows, dtype=np.uint32),
                           np.frombuffer(self.unsorted_counts, dtype=np.uint32))
        self.unsorted_rows, self.unsorted_counts = array("I"), array("I")
        merged = np.concatenate([self.prints, added]) if len(self.prints) else added
        del added
        merged.sort()
        self.prints = merged

    @property
    def entries(self) -> np.ndarray:
        return self.entries_buffer[: self.entries_size]

    def _candidates(self, keys: np.ndarray) -> set[int]:
        """The rows sharing a band key (`_band_keys`) with a signature — for the sorted rows,
        its prefix: `find_signature` checks the whole key."""
        low = _entries(keys[None, :], np.zeros(1, dtype=np.uint64))[0]
        starts = np.searchsorted(self.entries, low, side="left")
        stops = np.searchsorted(self.entries, low | _ROW_MASK, side="right")
        found: set[int] = set()
        for band in np.flatnonzero(stops > starts).tolist():
            found.update((self.entries[starts[band]:stops[band]] & _ROW_MASK).tolist())
        waiting = self.pending_rows
        if waiting:
            found.update(self.pending_row[:waiting][(self.pending[:waiting] == keys).any(axis=1)].tolist())
        return found - self.removed

    def _keep(self, first: int, hashvalues: np.ndarray) -> None:
        """Keep the signatures of rows just appended, in place of the oldest kept."""
        size = len(self.kept)
        skip = max(0, len(hashvalues) - size)
        for row, values in enumerate(hashvalues[skip:], start=first + skip):
            slot = self.kept_next
            self.kept_slot.pop(int(self.kept_row[slot]), None)
            self.kept[slot], self.kept_row[slot], self.kept_slot[row] = values, row, slot
            self.kept_next = (slot + 1) % size

    def _row_signatures(self, rows: list[int]) -> tuple[list[int], np.ndarray]:
        """The signatures of some rows: kept in memory, else read from the store (the rows
        whose story it still has)."""
        if self.matrix is not None:
            return rows, self.matrix[rows]
        assert self.signatures is not None
        away = [row for row in rows if row not in self.kept_slot]
        stored = self.signatures([int(self.ids[row]) for row in away]) if away else {}
        found: list[int] = []
        values: list[np.ndarray] = []
        for row in rows:
            slot = self.kept_slot.get(row)
            blob = stored.get(int(self.ids[row])) if slot is None else None
            if slot is not None:
                values.append(self.kept[slot])
            elif blob is not None and len(blob) >= _SIGNATURE_BYTES:
                values.append(from_bytes(blob))
            else:
                continue
            found.append(row)
        if not found:
            return found, np.zeros((0, NUM_PERM), dtype=np.uint32)
        return found, np.stack(values)

    def find(self, text: str) -> tuple[int, float] | None:
        """The most similar stored story and its estimated Jaccard similarity, if close enough."""
        minhash = signature(text)
        if minhash is None:
            return None
        return self.find_signature(np.asarray(minhash.hashvalues, dtype=np.uint32))

    def find_signature(self, hashvalues: np.ndarray) -> tuple[int, float] | None:
        keys = _band_keys(hashvalues[None, :])[0]
        with self.lock:
            rows = sorted(self._candidates(keys))
        if not rows:
            return None
        rows, signatures = self._row_signatures(rows)
        same = (_band_keys(signatures) == keys).any(axis=1)  # a whole band key, not its prefix only
        rows, signatures = [row for row, ok in zip(rows, same.tolist(), strict=True) if ok], signatures[same]
        if not rows:
            return None
        similarity = (signatures == hashvalues).mean(axis=1)
        best = int(np.argmax(similarity))
        article_id, score = int(self.ids[rows[best]]), float(similarity[best])
        return (article_id, score) if score >= MIN_JACCARD else None

    def find_copy(self, text: str, hashvalues: np.ndarray | None = None) -> Match | None:
        """The stored story a text copies: a near-duplicate (by its signature, `hashvalues`
        when the caller has them), else a partial copy."""
        if hashvalues is None:
            minhash = signature(text)
            if minhash is None:
                return None
            hashvalues = np.asarray(minhash.hashvalues, dtype=np.uint32)
        key = (text, hashvalues.tobytes())
        with self.lock:
            generation = self.generation
            known = self._answers.get(key)
        if known is not None and known[0] == generation:
            return known[1]
        near = self.find_signature(hashvalues)
        found = Match(near[0], near[1], "near-duplicate") if near is not None else self.find_partial(text)
        with self.lock:
            if len(self._answers) >= ANSWERS_KEPT:
                self._answers.pop(next(iter(self._answers)))
            self._answers[key] = (generation, found)
        return found

    def find_partial(self, text: str) -> Match | None:
        """The stored story of which this text is a partial copy, or which is a partial copy
        of it: candidates by shared fingerprints, judged on both texts (`partial_copy`)."""
        if self.texts is None:
            return None
        prints = fingerprints(text)
        with self.lock:
            shared = self._print_candidates(prints)
        candidates = [i for i, n in sorted(shared.items(), key=lambda kv: (-kv[1], kv[0]))
                      if n >= MIN_PRINTS][:MAX_CANDIDATES]
        if not candidates:
            return None
        stored = self.texts(candidates)
        mine = _grams(text)  # once, not once per candidate
        scored = []
        for story_id in candidates:
            other = stored.get(story_id) or ""
            grams, lede = self._stored_grams(story_id, other)
            scored.append((_contained(text, mine, other, grams, (None, lede)), story_id))
        score, story_id = max(scored, key=lambda si: (si[0], -si[1]))
        return Match(story_id, score, "partial-copy") if score >= MIN_CONTAINMENT else None

    def _stored_grams(self, story_id: int, text: str) -> tuple[Grams, Grams]:
        """A stored story's shingles and those of its lede: kept for the GRAMS_KEPT stories last
        compared (a story that shares a stock paragraph is a candidate again and again), while
        its text is the same."""
        with self.lock:
            kept = self._grams_kept.pop(story_id, None)
        if kept is None or kept[0] != text:
            kept = (text, _grams(text), _lede(text))
        with self.lock:
            self._grams_kept[story_id] = kept
            if len(self._grams_kept) > GRAMS_KEPT:
                self._grams_kept.pop(next(iter(self._grams_kept)))
        return kept[1], kept[2]

    def _print_candidates(self, prints: np.ndarray) -> dict[int, int]:
        """How many of the fingerprints each stored story shares (a fingerprint common to more
        than COMMON_PRINT stories — a stock phrase — tells nothing and is skipped)."""
        counts: dict[int, int] = {}
        if not len(prints):
            return counts
        keys = prints.astype(np.uint64) << np.uint64(32)
        lo = np.searchsorted(self.prints, keys, side="left")
        hi = np.searchsorted(self.prints, keys | np.uint64(0xFFFFFFFF), side="right")
        for key, start, stop in zip(prints.tolist(), lo.tolist(), hi.tolist(), strict=True):
            rows: set[int] = set()
            if stop - start <= COMMON_PRINT:
                rows.update((self.prints[start:stop] & np.uint64(0xFFFFFFFF)).tolist())
            rows.update(self.pending_prints.get(key, ())[:COMMON_PRINT])
            for row in rows - self.removed:
                story = int(self.ids[row])
                counts[story] = counts.get(story, 0) + 1
        return counts

    def similarity(self, article_id: int, text: str) -> float:
        """The estimated Jaccard similarity of a text to one stored story (for evaluation)."""
        minhash = signature(text)
        row = self.rows.get(article_id)
        if minhash is None or row is None:
            return 0.0
        rows, signatures = self._row_signatures([row])
        if not rows:
            return 0.0
        return float((signatures[0] == np.asarray(minhash.hashvalues, dtype=np.uint32)).mean())

    def __len__(self) -> int:
        return len(self.rows)


def _band_keys(matrix: np.ndarray) -> np.ndarray:
    """The keys of every band of some signatures (rows × bands): one 64-bit key per band,
    mixing the band's values."""
    values = matrix[:, : BANDS * ROWS].astype(np.uint64).reshape(len(matrix), BANDS, ROWS)
    return (values * _MIX).sum(axis=2, dtype=np.uint64)


def _entries(keys: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The sorted array's entries for band keys (rows × bands) of some rows: the band's number
    in the top bits, then the key's first PREFIX_BITS bits, then the row."""
    prefix = (keys >> np.uint64(64 - PREFIX_BITS)) << np.uint64(32)
    return prefix | _BAND_BITS | rows[:, None]


def _stored_signatures(store: Store, ids: Iterable[int]) -> dict[int, bytes]:
    """The stored signatures (and fingerprints) of some stories, by id."""
    from sqlalchemy import select

    from hsctwatch.stories.models import Story

    with store.in_group() as session:  # this process's uncommitted stories too
        return {int(i): bytes(blob) for i, blob in session.execute(
            select(Story.id, Story.minhash).where(Story.id.in_(list(ids)))) if blob}


def _stored_texts(store: Store, ids: Iterable[int]) -> dict[int, str]:
    """The texts of some stored stories, by id."""
    from sqlalchemy import select

    from hsctwatch.stories.models import Story

    with store.in_group() as session:  # this process's uncommitted stories too
        return {int(i): t or "" for i, t in session.execute(select(Story.id, Story.text)
                                                            .where(Story.id.in_(list(ids))))}


_INDEXES: dict[str, NearDuplicateIndex] = {}
_LOCK = threading.Lock()


def shared_index(store: Store) -> NearDuplicateIndex:
    with _LOCK:
        if store.url not in _INDEXES:
            _INDEXES[store.url] = NearDuplicateIndex.from_store(store)
        return _INDEXES[store.url]
