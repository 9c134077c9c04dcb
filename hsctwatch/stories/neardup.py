"""Near-duplicates: reprints with a new intro, a changed headline or an extra line, and
partial copies — a reblog of an article's first paragraphs with an intro line and a link back.

Reprints: MinHash-LSH over word shingles of the *extracted* text, so boilerplate
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
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, TypeVar, cast

import numpy as np

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
#: Rows indexed since the last sort, at most (their band keys wait in an array, scanned). When
#: the sort comes is part of the answers, not only of the speed: a fingerprint in more than
#: COMMON_PRINT sorted rows is skipped, while rows still waiting give their first COMMON_PRINT.
RESORT_AFTER = 5000
BLOCK = 4096  # signatures a block of the index holds (2 MB): it grows a block at a time
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
ANSWERS_KEPT = 64  # find_copy's last answers, by text: the items between the dedup and store stages
#: the stored stories' shingles kept for the partial-copy check, in bytes (the same stories come
#: back as candidates: ~2,200 distinct among ~17,600 asked for in a 5,000-page crawl, besides
#: each new story's copies); ~6 KB a story, so about 3,400 stories
SHINGLED_BYTES = 20 * 2**20
ITEMS_SHINGLED_KEPT = 4  # the last items' shingles made by the partial-copy check, for their stories
PRINTS_KEPT = 8  # the last texts' fingerprints, made by the worker or the dedup stage, for the store stage
_SIGNATURE_BYTES = NUM_PERM * 8
_V = TypeVar("_V")
_WORD_MIX = np.array([0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB, 0xD6E8FEB86659FD93],
                     dtype=np.uint64)


class Signature(NamedTuple):
    """A text's MinHash: NUM_PERM hash values (uint32), those datasketch's MinHash (its
    "affine32" scheme, seed SEED, SHA-1 of each shingle) makes of the same shingles."""

    hashvalues: np.ndarray


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


def signature(text: str) -> Signature | None:
    """The text's MinHash, or None for a text too short to compare. The dedup stage hashes an
    item's text and the store stage indexes the same text: the last few are kept, not rehashed."""
    return _signature(text)


def from_hashvalues(hashvalues: np.ndarray) -> Signature:
    """A signature from its hash values, as a worker process sends them."""
    return Signature(np.asarray(hashvalues, dtype=np.uint32))


@functools.lru_cache(maxsize=16)
def _signature(text: str) -> Signature | None:
    """datasketch's MinHash of the shingles, made here: importing datasketch imports SciPy (its
    LSH classes need it), about 60 MB in every process that makes signatures — the crawl's and
    its worker — for the few lines below. tests/test_story_copies.py compares the values with
    datasketch's own."""
    hashed = _shingle_hashes(text)
    if len(hashed) < MIN_SHINGLES:
        return None
    a, b = _permutations()
    # each shingle's hash (sha1_hash32: the low half of its 64 bits), pre-mixed (MurmurHash3's
    # finalizer), then permuted: a * h + b, wrapping at 2**32; the signature is each
    # permutation's smallest value
    values = (_fmix32(hashed.astype(np.uint32))[:, None] * a + b).min(axis=0)
    values.flags.writeable = False
    return Signature(values)


@functools.lru_cache(maxsize=16)
def _shingle_hashes(text: str) -> np.ndarray:
    """The first 8 bytes of each shingle's SHA-1 (little endian, read-only): its first 4 are
    datasketch's sha1_hash32, for the signature; all 8 tell shingles apart for the partial-copy
    check (`shingled`). Made once for both, and the same in every process."""
    hashed = _sha1_hash64(_shingle_bytes(text))
    hashed.flags.writeable = False
    return hashed


@functools.cache
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    """The permutations (a odd, b) datasketch's MinHash draws for NUM_PERM and SEED."""
    generator = np.random.RandomState(SEED)
    a = generator.randint(0, 1 << 31, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = generator.randint(0, 1 << 32, NUM_PERM, dtype=np.uint32)
    return a, b


def _fmix32(values: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer, element by element (as datasketch's _fmix)."""
    values = values ^ (values >> np.uint32(16))
    values = values * np.uint32(0x85EBCA6B)
    values = values ^ (values >> np.uint32(13))
    values = values * np.uint32(0xC2B2AE35)
    return values ^ (values >> np.uint32(16))


def _shingle_bytes(text: str) -> set[bytes]:
    """`shingles`, each word encoded once rather than each shingle (UTF-8 of the joined words is
    the join of their UTF-8): the same set."""
    words = [w.encode() for w in _WORD.findall(text.lower())]
    return {b" ".join(gram) for gram in zip(*(words[i:] for i in range(SHINGLE)), strict=False)}


def _sha1_hash64(values: Iterable[bytes]) -> np.ndarray:
    """The first 8 bytes of each value's SHA-1, little endian, read as one array: its low 32
    bits are datasketch.hashfunc.sha1_hash32 of the value."""
    sha1 = hashlib.sha1
    return np.frombuffer(b"".join([sha1(v).digest()[:8] for v in values]), dtype="<u8").astype(np.uint64)


class _Recent(Generic[_V]):
    """What was made of the last few texts, by text (the least recently asked for let go first):
    what one stage makes of an item's text and the next asks for again. Safe across threads."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._made: OrderedDict[str, _V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, text: str) -> _V | None:
        with self._lock:
            made = self._made.get(text)
            if made is not None:
                self._made.move_to_end(text)
            return made

    def keep(self, text: str, made: _V) -> None:
        with self._lock:
            self._made[text] = made
            self._made.move_to_end(text)
            while len(self._made) > self.size:
                self._made.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._made.clear()


def fingerprints(text: str) -> np.ndarray:
    """The winnowed fingerprints of a text's opening (uint32, sorted, unique): in every WINDOW
    consecutive shingle hashes, the smallest. Stable across processes and versions of Python.
    The dedup stage's partial-copy check and the store stage's indexing ask for the same text's:
    the last few are kept (read-only), with those the reading worker made (`keep_fingerprints`)."""
    prints = _PRINTS.get(text)
    if prints is None:
        prints = _winnow(text)
        keep_fingerprints(text, prints)
    return prints


def keep_fingerprints(text: str, prints: np.ndarray) -> None:
    """Keep a text's fingerprints, made elsewhere (the worker process: the values are the same
    in every process), for `fingerprints` to answer with."""
    prints = np.asarray(prints, dtype=np.uint32)
    prints.flags.writeable = False
    _PRINTS.keep(text, prints)


_PRINTS: _Recent[np.ndarray] = _Recent(PRINTS_KEPT)


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


def to_bytes(minhash: Signature, prints: np.ndarray | None = None) -> bytes:
    """What a story keeps: its signature (uint64 each), then its fingerprints (uint32 each)."""
    data = np.asarray(minhash.hashvalues, dtype=np.uint64).tobytes()
    return data if prints is None else data + np.asarray(prints, dtype=np.uint32).tobytes()


def from_bytes(data: bytes) -> np.ndarray:
    """The signature of a stored story."""
    return np.frombuffer(data[:_SIGNATURE_BYTES], dtype=np.uint64).astype(np.uint32)


def stored_signature(data: bytes) -> tuple[Signature, np.ndarray | None]:
    """A stored story's signature and fingerprints (None if it was stored without them), as
    `to_bytes` wrote them: what indexing its text again would make."""
    prints = np.frombuffer(data[_SIGNATURE_BYTES:], dtype=np.uint32) if len(data) > _SIGNATURE_BYTES else None
    return from_hashvalues(from_bytes(data)), prints


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


def _contained(a: str, first: Grams, b: str, second: Grams) -> float:
    """`partial_copy` of two texts whose shingles are already made (the longer's lede is made
    only for a pair sharing enough to need it)."""
    short, long_text = (first, b) if len(first) <= len(second) else (second, a)
    if not short:
        return 0.0
    long_grams = second if short is first else first
    shared = len(short & long_grams)
    if shared < MIN_SHARED:
        return 0.0
    lede = _lede(long_text)
    if not lede or len(lede & short) < LEDE_SHARE * len(lede):
        return 0.0
    return shared / len(short)


class Shingled(NamedTuple):
    """A text's `_grams` and `_lede`, as sorted arrays of their shingles' 64-bit hashes (the
    first 8 bytes of each one's SHA-1, which the signature reads 4 of): compact enough to keep
    for many stored stories, and compared with numpy. The same in every process, so the worker
    that reads the page makes an item's (`shingled`); two different shingles share a hash with
    a chance of 2**-64."""

    grams: np.ndarray
    lede: np.ndarray


def shingled(text: str) -> Shingled:
    """What the partial-copy check compares of a text: made where the text's signature was
    (the hashes of its shingles are the signature's), and kept (`keep_shingled`)."""
    return Shingled(np.sort(_shingle_hashes(text)), np.sort(_sha1_hash64(_shingle_bytes(_lede_text(text)))))


def keep_shingled(text: str, made: Shingled) -> None:
    """Keep a text's `shingled`, made elsewhere (the worker process), for the partial-copy
    check and the index to take."""
    _ITEM_SHINGLED.keep(text, made)


def _item_shingled(text: str) -> Shingled:
    """`shingled` of an item's text, which the partial-copy check makes (or the worker made):
    the last few are kept, for the item's story to keep them when it is indexed
    (`NearDuplicateIndex.add`) rather than make them again from its text read back from the
    store."""
    made = _ITEM_SHINGLED.get(text)
    if made is None:
        made = shingled(text)
        _ITEM_SHINGLED.keep(text, made)
    return made


_ITEM_SHINGLED: _Recent[Shingled] = _Recent(ITEMS_SHINGLED_KEPT)


def _size(made: Shingled) -> int:
    return made.grams.nbytes + made.lede.nbytes


def _contained_shingled(first: Shingled, second: Shingled) -> float:
    """`_contained` on `Shingled` texts: the same answer."""
    short, long_text = (first, second) if len(first.grams) <= len(second.grams) else (second, first)
    if not len(short.grams):
        return 0.0
    shared = np.intersect1d(short.grams, long_text.grams, assume_unique=True).size
    if shared < MIN_SHARED:
        return 0.0
    lede = long_text.lede
    if not len(lede) or np.intersect1d(lede, short.grams, assume_unique=True).size < LEDE_SHARE * len(lede):
        return 0.0
    return shared / len(short.grams)


def _lede(text: str) -> Grams:
    """The shingles of a text's first LEDE_WORDS words (the words found up to there only)."""
    return _grams(_lede_text(text))


def _lede_text(text: str) -> str:
    """A text's first LEDE_WORDS words."""
    return " ".join(m.group() for m in itertools.islice(_WORD.finditer(text), LEDE_WORDS))


class NearDuplicateIndex:
    """Banded LSH over MinHash signatures, kept compact in numpy arrays.

    datasketch's MinHashLSH keeps a Python set per bucket per band: measured at about 9 KB a
    story, 900 MB for 100k stories. Here the signatures are rows of uint32 blocks (512 bytes a
    story, a block added as the index grows, never copied), and each band's keys one sorted
    uint32 array: the key's leading bits above the row (`_sort`), so a lookup is a numpy search
    per band, and a row found is a candidate when its whole band key, made again from its
    signature, is the same — the candidates of whole keys (168 bytes a story). Stories indexed
    since the last sort wait in an array of their band keys. The fingerprints of the stories'
    openings, for partial copies, are one more sorted array (with the row of each): about 250
    bytes a story. About 0.9 KB a story in all: 90 MB for 100k.
    """

    def __init__(self, texts: Callable[[Iterable[int]], dict[int, str]] | None = None) -> None:
        self.blocks: list[np.ndarray] = []  # the signatures, by row: BLOCK rows × NUM_PERM each
        self.ids = array("q")  # each row's story
        self.row_of = array("i")  # each story's row, by id; -1: not indexed (a dict: 100 bytes each)
        self.size = 0  # rows
        self.live = 0  # stories indexed
        self.removed: set[int] = set()
        # each band's entries, sorted: the band key's first 32 - row_bits bits, then the row
        self.bands = np.zeros((BANDS, 0), dtype=np.uint32)
        self.row_bits = 0
        # the band keys of the rows indexed since the last sort, and their rows
        self.pending = np.zeros((0, BANDS), dtype=np.uint64)
        self.pending_row = np.zeros(0, dtype=np.int64)
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
        # the story lock's number (Store.lock_seq) up to which every transaction is loaded: none
        # taken since, nothing to load
        self.complete = 0
        # changes with every story indexed, re-indexed or removed: an answer of find_copy for a
        # text holds while it is the same (the store stage asks again what the dedup stage asked)
        self.generation = 0
        self._answers: dict[tuple[str, bytes], tuple[int, Match | None]] = {}
        # stored stories' shingles by row (a re-indexed story has a new row, so a new entry)
        self._shingled: OrderedDict[int, Shingled] = OrderedDict()
        self._shingled_bytes = 0

    def refresh(self, session: Session) -> int:
        """Load the signatures and fingerprints stored (or changed) since the index last looked,
        by this process or any other; returns how many. Cheap when there are none (one indexed
        query)."""
        rows = cast("list[tuple[int, bytes | None, int | None]]",
                    session.execute(_since_query(), {"seq": self.seq}).all())
        with self.lock:
            for article_id, blob, seq in rows:
                self._remove(article_id)
                if blob and len(blob) >= _SIGNATURE_BYTES:
                    prints = np.frombuffer(blob[_SIGNATURE_BYTES:], dtype=np.uint32)
                    self._index_row(self._append(article_id, from_bytes(blob), prints), prints)
                self.seq = max(self.seq, int(seq or 0))
        return len(rows)

    def catch_up(self, session: Session) -> int | None:
        """`refresh`, unless no transaction took the story lock since the index last looked;
        returns the lock's number the index is now complete up to (None: the store has lost its
        lock's row, and the index is refreshed every time)."""
        from hsctwatch.stories.models import Store

        locked = Store.lock_seq(session)  # read first: whatever is loaded next is at least that recent
        if locked is None or locked > self.complete:
            self.refresh(session)
            if locked is not None:
                with self.lock:
                    self.complete = max(self.complete, locked)
        return locked

    def current_since(self, checked: int | None, seq: int) -> bool:
        """Holding the story lock as transaction `seq`: is nothing stored since the index was
        complete up to `checked` (`catch_up`)? Then what was found in it and in the store then
        holds now."""
        return checked is not None and seq == checked + 1 and self.complete >= checked

    def seen(self, seq: int) -> None:
        """This process committed signatures numbered `seq`, after loading every earlier one."""
        with self.lock:
            self.seq = max(self.seq, seq)
            self.complete = max(self.complete, seq)

    @classmethod
    def from_store(cls, store: Store) -> NearDuplicateIndex:
        """Load every stored signature and fingerprints; hash (and save) the texts stored
        without them (before a version that kept them, or never hashed)."""
        from sqlalchemy import func, select, update

        from hsctwatch.stories.models import Story

        with store.session() as session:
            index = cls(texts=functools.partial(_stored_texts, store))
            # what is stored from here on is loaded by refresh (again, if the scan below sees it)
            index.seq = session.scalar(select(func.max(Story.signature_seq))) or 0
            missing: list[tuple[int, bytes]] = []
            rows = session.execute(select(Story.id, Story.minhash).execution_options(yield_per=2000))
            for article_id, blob in rows:  # streamed: 100k signatures never sit in memory twice
                if blob and len(blob) > _SIGNATURE_BYTES:
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

    def add(self, article_id: int, text: str, minhash: Signature | None = None,
            prints: np.ndarray | None = None) -> bytes | None:
        """Index (or re-index) a story's text; returns the signature and fingerprints to store
        with it. `minhash` and `prints`: the text's signature and fingerprints, when the caller
        has them (`signature(text)`, `fingerprints(text)`)."""
        minhash = minhash if minhash is not None else signature(text)
        if minhash is None:
            prints = None
        elif prints is None:
            prints = fingerprints(text)
        made = _ITEM_SHINGLED.get(text)  # by the partial-copy check of the item it comes from
        with self.lock:
            self._remove(article_id)
            if minhash is None or prints is None:
                return None
            row = self._append(article_id, np.asarray(minhash.hashvalues, dtype=np.uint32), prints)
            self._index_row(row, prints)
            if made is not None:
                self._keep_shingled(row, made)
        return to_bytes(minhash, prints)

    def _index_row(self, row: int, prints: np.ndarray) -> None:
        """Make a new row findable: its band keys and fingerprints wait in `pending` and
        `pending_prints` until the next re-sort."""
        if not len(self.pending):
            self.pending = np.zeros((RESORT_AFTER + 1, BANDS), dtype=np.uint64)
            self.pending_row = np.zeros(RESORT_AFTER + 1, dtype=np.int64)
        self.pending[self.pending_rows] = _band_keys(self._values([row]))[0]
        self.pending_row[self.pending_rows] = row
        for key in prints.tolist():
            self.pending_prints.setdefault(key, []).append(row)
        self.pending_rows += 1
        if self.pending_rows > RESORT_AFTER:
            self._sort()

    def _append(self, article_id: int, hashvalues: np.ndarray, prints: np.ndarray | None = None) -> int:
        row = self.size
        if row == len(self.blocks) * BLOCK:
            self.blocks.append(np.zeros((BLOCK, NUM_PERM), dtype=np.uint32))
        self.generation += 1
        self.blocks[row // BLOCK][row % BLOCK] = hashvalues
        self.ids.append(article_id)
        if article_id >= len(self.row_of):
            self.row_of.extend(array("i", [-1]) * (article_id + 1 - len(self.row_of)))
        if self.row_of[article_id] < 0:
            self.live += 1
        self.row_of[article_id] = row
        self.size += 1
        if prints is not None:
            self._add_prints(row, np.asarray(prints, dtype=np.uint32).tobytes())
        return row

    def _add_prints(self, row: int, prints: bytes) -> None:
        """A row's fingerprints (uint32 bytes), sorted in with the next _sort."""
        if prints:
            self.unsorted_keys.frombytes(prints)
            self.unsorted_rows.append(row)
            self.unsorted_counts.append(len(prints) // 4)

    def _row(self, article_id: int) -> int:
        """The story's row; -1 when it is not indexed."""
        return self.row_of[article_id] if 0 <= article_id < len(self.row_of) else -1

    def _remove(self, article_id: int) -> None:
        self.generation += 1
        row = self._row(article_id)
        if row >= 0:
            self.row_of[article_id] = -1
            self.live -= 1
            self.removed.add(row)

    def _values(self, rows: Iterable[int]) -> np.ndarray:
        """The signatures of some rows (rows × NUM_PERM)."""
        wanted = rows.astype(np.int64) if isinstance(rows, np.ndarray) else np.fromiter(rows, dtype=np.int64)
        values = np.empty((len(wanted), NUM_PERM), dtype=np.uint32)
        blocks = wanted // BLOCK
        for number in np.unique(blocks).tolist():
            mine = blocks == number
            values[mine] = self.blocks[number][wanted[mine] - number * BLOCK]
        return values

    def _sort(self) -> None:
        """Make each band's entries anew, block by block, and sort them in place (the old ones
        let go first: the two are never held at once). A row's entry holds its band key's first
        32 - row_bits bits, then the row."""
        size = self.size
        row_bits = max(1, (size - 1).bit_length())
        self.bands = np.zeros((BANDS, 0), dtype=np.uint32)
        bands = np.empty((BANDS, size), dtype=np.uint32)
        shift, rows_shift = np.uint64(32 + row_bits), np.uint64(row_bits)
        for number, block in enumerate(self.blocks):
            first = number * BLOCK
            count = min(BLOCK, size - first)
            if count <= 0:
                break
            rows = np.arange(first, first + count, dtype=np.uint64)
            leading = (_band_keys(block[:count]) >> shift) << rows_shift
            bands[:, first:first + count] = (leading | rows[:, None]).T
        bands.sort(axis=1)
        self.bands, self.row_bits = bands, row_bits
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

    def _candidates(self, hashvalues: np.ndarray) -> set[int]:
        """The rows sharing a whole band key with a signature, but those removed."""
        keys = _band_keys(hashvalues[None, :])[0]
        found: set[int] = set()
        if self.bands.shape[1]:
            rows_mask = (1 << self.row_bits) - 1
            starts = ((keys >> np.uint64(32 + self.row_bits)) << np.uint64(self.row_bits)).tolist()
            bands: list[np.ndarray] = []
            rows: list[np.ndarray] = []
            for band, (entries, start) in enumerate(zip(self.bands, starts, strict=True)):
                # searched with the array's own type: a Python int made numpy copy the array first
                lo = int(entries.searchsorted(np.uint32(start), side="left"))
                hi = int(entries.searchsorted(np.uint32(start | rows_mask), side="right"))
                if hi > lo:  # the same leading bits: the same key, when the whole key is
                    rows.append((entries[lo:hi] & np.uint32(rows_mask)).astype(np.int64))
                    bands.append(np.full(hi - lo, band))
            if rows:  # every band's rows' whole keys made again at once (`_keys_of_band`, row by row)
                row, band_of = np.concatenate(rows), np.concatenate(bands)
                columns = band_of[:, None] * ROWS + np.arange(ROWS)
                values = np.take_along_axis(self._values(row), columns, axis=1).astype(np.uint64)
                same = (values * _MIX).sum(axis=1, dtype=np.uint64) == keys[band_of]
                found.update(row[same].tolist())
        waiting = self.pending_rows
        if waiting:
            found.update(self.pending_row[:waiting][(self.pending[:waiting] == keys).any(axis=1)].tolist())
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
            similarity = (self._values(rows) == hashvalues).mean(axis=1)
            best = int(np.argmax(similarity))
            article_id, score = self.ids[rows[best]], float(similarity[best])
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
            stories, shared = self._print_candidates(prints)
        # the stories sharing most fingerprints (the smaller id first among equals)
        enough = shared >= MIN_PRINTS
        stories, shared = stories[enough], shared[enough]
        candidates = stories[np.lexsort((stories, -shared))][:MAX_CANDIDATES].tolist()
        if not candidates:
            return None
        theirs = self._stored_shingles(candidates)
        mine = _item_shingled(text)  # once, not once per candidate
        scored = [(_contained_shingled(mine, theirs[i]), i) for i in candidates]
        score, story_id = max(scored, key=lambda si: (si[0], -si[1]))
        return Match(story_id, score, "partial-copy") if score >= MIN_CONTAINMENT else None

    def _stored_shingles(self, stories: list[int]) -> dict[int, Shingled]:
        """The shingles of some stored stories, by id: kept ones, else made from their texts
        (read from the store) and kept."""
        with self.lock:
            rows = {story: self._row(story) for story in stories}
            found: dict[int, Shingled] = {}
            for story, row in rows.items():
                if row in self._shingled:
                    self._shingled.move_to_end(row)
                    found[story] = self._shingled[row]
        missing = [story for story in stories if story not in found]
        if missing and self.texts is not None:
            texts = self.texts(missing)
            made = {story: shingled(texts.get(story) or "") for story in missing}
            with self.lock:
                for story, each in made.items():
                    if rows[story] >= 0:
                        self._keep_shingled(rows[story], each)
            found.update(made)
        return found

    def _keep_shingled(self, row: int, made: Shingled) -> None:
        """Keep a row's shingles, the least recently used let go beyond SHINGLED_BYTES (under
        the lock)."""
        old = self._shingled.pop(row, None)
        if old is not None:
            self._shingled_bytes -= _size(old)
        self._shingled[row] = made
        self._shingled_bytes += _size(made)
        while self._shingled_bytes > SHINGLED_BYTES and len(self._shingled) > 1:
            self._shingled_bytes -= _size(self._shingled.popitem(last=False)[1])

    def _print_candidates(self, prints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The stored stories sharing any of the fingerprints, and how many each shares (a
        fingerprint common to more than COMMON_PRINT stories — a stock phrase — tells nothing
        and is skipped): every fingerprint's rows gathered in one pass, then counted."""
        none = np.zeros(0, dtype=np.int64)
        if not len(prints):
            return none, none
        keys = prints.astype(np.uint64) << np.uint64(32)
        lo = np.searchsorted(self.prints, keys, side="left")
        hi = np.searchsorted(self.prints, keys | np.uint64(0xFFFFFFFF), side="right")
        lengths = hi - lo
        lengths[lengths > COMMON_PRINT] = 0
        total = int(lengths.sum())
        # the positions lo[k] … hi[k] - 1 of every kept fingerprint k, side by side
        positions = np.arange(total) + np.repeat(lo - (np.cumsum(lengths) - lengths), lengths)
        found = [(self.prints[positions] & np.uint64(0xFFFFFFFF)).astype(np.int64)]
        if self.pending_prints:
            waiting = [rows[:COMMON_PRINT] for rows in map(self.pending_prints.get, prints.tolist()) if rows]
            found += [np.asarray(rows, dtype=np.int64) for rows in waiting]
        rows = np.concatenate(found)
        if self.removed:
            rows = rows[~np.isin(rows, np.fromiter(self.removed, dtype=np.int64, count=len(self.removed)))]
        # a row is listed once per fingerprint it has, and a story has one row left
        rows, counts = np.unique(rows, return_counts=True)
        return np.frombuffer(self.ids, dtype=np.int64)[rows], counts

    def similarity(self, article_id: int, text: str) -> float:
        """The estimated Jaccard similarity of a text to one stored story (for evaluation)."""
        minhash = signature(text)
        row = self._row(article_id)
        if minhash is None or row < 0:
            return 0.0
        return float((self._values([row])[0] == np.asarray(minhash.hashvalues, dtype=np.uint32)).mean())

    def __len__(self) -> int:
        return self.live


def _keys_of_band(matrix: np.ndarray, band: int) -> np.ndarray:
    """One 64-bit key per signature for one band, mixing the band's values."""
    values = matrix[:, band * ROWS : (band + 1) * ROWS].astype(np.uint64)
    return (values * _MIX).sum(axis=1, dtype=np.uint64)


def _band_keys(matrix: np.ndarray) -> np.ndarray:
    """The keys of every band of a few signatures (rows × bands): `_keys_of_band` for all bands
    in one pass."""
    values = matrix[:, : BANDS * ROWS].astype(np.uint64).reshape(len(matrix), BANDS, ROWS)
    return (values * _MIX).sum(axis=2, dtype=np.uint64)


@functools.cache
def _since_query() -> Any:
    """`select(Story.id, Story.minhash, Story.signature_seq).where(Story.signature_seq > seq)
    .order_by(Story.signature_seq)` as plain SQL with typed columns, made once: refresh runs
    twice for every stored item, and the ORM's statement handling cost more than the query."""
    from sqlalchemy import text

    from hsctwatch.stories.models import Story

    return (text(f"SELECT id, minhash, signature_seq FROM {Story.__tablename__} "
                 "WHERE signature_seq > :seq ORDER BY signature_seq")
            .columns(Story.id, Story.minhash, Story.signature_seq))


def _stored_texts(store: Store, ids: Iterable[int]) -> dict[int, str]:
    """The texts of some stored stories, by id."""
    from sqlalchemy import select

    from hsctwatch.stories.models import Story

    with store.session() as session:
        return {int(i): t or "" for i, t in session.execute(select(Story.id, Story.text)
                                                            .where(Story.id.in_(list(ids))))}


_INDEXES: dict[str, NearDuplicateIndex] = {}
_LOCK = threading.Lock()


def shared_index(store: Store) -> NearDuplicateIndex:
    with _LOCK:
        if store.url not in _INDEXES:
            _INDEXES[store.url] = NearDuplicateIndex.from_store(store)
        return _INDEXES[store.url]
