"""py3langid's language identifier, made cheap enough to run on every page.

py3langid counts a text's byte n-grams by walking its automaton one byte at a time in Python,
and converts its float16 weights to float32 with numpy's half-precision cast: together about
three milliseconds for the 3,000 characters hsctwatch.language reads, as much as finding the
page's main text. `Identifier` counts the same n-grams with a few numpy gathers over the whole
text at once, and converts the weights by moving their bits (every weight of the model is a
normal number, for which that is exact); the rest is py3langid's own code. Its answers are
py3langid's, to the bit.
"""

from __future__ import annotations

import lzma
import shutil
import tempfile
import zipfile
from array import array
from pathlib import Path
from typing import Any

import numpy as np
from py3langid import modelio
from py3langid.langid import MODEL_DIR, LanguageIdentifier

#: Rounds of the state computation before giving the text to py3langid's own walk. py3langid's
#: model needs 7 (its automaton forgets where it started after 6 bytes).
MOST_ROUNDS = 16


class Identifier(LanguageIdentifier):
    """py3langid's identifier, counting n-grams and converting weights without a Python loop."""

    __slots__ = ("_moves", "_rows", "_outputs", "_normal")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        moves = self.tk_nextmove
        # the model's array of next states, shared rather than copied (40 MB)
        self._moves = (np.frombuffer(moves, dtype=np.uint32) if getattr(moves, "typecode", "") == "I"
                       else np.asarray(moves))
        self._rows = np.asarray(self._rowbase, dtype=np.intp)
        self._outputs = np.asarray(self.tk_output, dtype=np.intp)
        self._normal = _all_normal(self.nb_ptc)

    @classmethod
    def from_model_file(cls, model_file: Any, *args: Any, **kwargs: Any) -> Any:
        """py3langid's, reading the model with `load_model`."""
        path = Path(model_file) if Path(model_file).is_absolute() else MODEL_DIR / model_file
        ptc, pc, classes, nextmove, row, output = load_model(path)
        return cls(np.asarray(ptc), np.asarray(pc), classes, nextmove, output, *args, tk_row=row, **kwargs)

    def _raw_score(self, text: bytes) -> Any:
        """py3langid's `_raw_score`: the same counts in the same order, the same arithmetic."""
        counted = self._counts(text) if isinstance(text, bytes) and text else None
        if counted is None or not counted[0].size:
            return super()._raw_score(text)
        features, counts = counted
        table = self.nb_ptc
        rows = _widened(table.view(np.uint16)[features]) if self._normal else table[features]
        return np.log1p(counts) @ rows + self.nb_pc

    def _counts(self, text: bytes) -> tuple[Any, Any] | None:
        """The features the automaton outputs along the text and how often, in the order of
        their first occurrence (the order of py3langid's Counter, which its sum follows); None
        when the states take more than MOST_ROUNDS rounds to settle."""
        states = self._states(np.frombuffer(text, dtype=np.uint8).astype(np.intp))
        if states is None:
            return None
        found = self._outputs[states]
        found = found[found >= 0]
        features, first, counts = np.unique(found, return_index=True, return_counts=True)
        order = np.argsort(first, kind="stable")
        return features[order], counts[order].astype(np.float32)

    def _states(self, data: Any) -> Any:
        """The automaton's state after each byte, as py3langid's walk finds them one by one.

        Each round computes every state from the previous round's state before it: after k
        rounds, the states of the first k bytes are right, and so is every state the automaton
        reaches whatever state it was in k bytes before (after 6 bytes, all of them for
        py3langid's model). The walk's states are the one sequence a round leaves unchanged,
        so the rounds stop there, and what they give is exactly the walk's answer."""
        start = self._moves[self._rows[0] + data]  # each byte read from the start state
        states = start
        for _ in range(MOST_ROUNDS):
            following = self._moves[self._rows[states[:-1]] + data[1:]]
            if np.array_equal(following, states[1:]):
                return states
            states = np.concatenate((start[:1], following))
        return None


def _all_normal(table: Any) -> bool:
    """Whether the table is float16 and holds only normal numbers: no zero, subnormal, infinity
    or NaN, whose bits `_widened` would not convert."""
    if table.dtype != np.float16:
        return False
    bits = table.reshape(-1).view(np.uint16)
    for start in range(0, len(bits), 1 << 20):  # a part at a time: the table is 28 MB
        exponents = bits[start:start + (1 << 20)] & 0x7C00
        if ((exponents == 0) | (exponents == 0x7C00)).any():
            return False
    return True


def _widened(halves: Any) -> Any:
    """Normal float16 numbers (as their uint16 bits) as the float32 numbers they are: the sign
    moved from bit 15 to 31, the exponent rebased from 15 to 127, the mantissa widened. Three
    times faster than numpy's half-precision cast, which this numpy does one value at a time."""
    bits = halves.astype(np.uint32)
    bits <<= 13  # mantissa in place; exponent at bits 23-27; sign at bit 28
    sign = bits & 0x10000000
    bits &= 0x0FFFE000
    bits += 0x38000000  # (127 - 15) << 23
    sign <<= 3
    bits |= sign
    return bits.view(np.float32)


def load_model(path: Path) -> tuple[Any, ...]:
    """py3langid.modelio.load_model, the automaton's two arrays read straight into the stdlib
    arrays py3langid keeps: it reads each into a NumPy array and then copies it, the 40 MB of
    the automaton twice for a moment, in the crawl's process beside the near-duplicate index."""
    with tempfile.TemporaryFile(suffix=".npz") as tmp:  # as py3langid: never all of it in memory
        with lzma.open(path) as source:
            shutil.copyfileobj(source, tmp, length=1 << 20)
        tmp.seek(0)
        with np.load(tmp, allow_pickle=False) as data:
            if {"nextmove", "nextmove_row", "out_feat"} <= set(data.files):
                moves, rows = _stdlib_array(data.zip, "nextmove"), _stdlib_array(data.zip, "nextmove_row")
                if moves is not None and rows is not None:
                    classes, outputs = data["classes"].tolist(), data["out_feat"].tolist()
                    return data["ptc"], data["pc"], classes, moves, rows, outputs
    return modelio.load_model(path)  # another layout: py3langid reads it, or says what is wrong


def _stdlib_array(archive: zipfile.ZipFile, name: str) -> array[Any] | None:
    """An unsigned integer array of an .npz file as py3langid's modelio._to_array makes it, read
    into it a megabyte at a time; None for an array of another kind."""
    with archive.open(f"{name}.npy") as member:
        version = np.lib.format.read_magic(member)
        headers = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
        if version not in headers:
            return None
        shape, _, dtype = headers[version](member)
        typecode = {2: "H", 4: "I", 8: "L"}.get(dtype.itemsize, "")  # as modelio._to_array
        if dtype.kind != "u" or not dtype.isnative or array(typecode or "B").itemsize != dtype.itemsize:
            return None
        values = array(typecode, [0]) * int(np.prod(shape))
        view = memoryview(values).cast("B")
        done = 0
        while done < len(view):
            chunk = member.read(min(1 << 20, len(view) - done))
            if not chunk:
                raise ValueError(f"{name}: the model's array is cut short")
            view[done:done + len(chunk)] = chunk
            done += len(chunk)
        return values
