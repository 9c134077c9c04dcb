"""Every labelled pair of tests/dedup_pairs.toml is judged as an editor would.

The overall precision and recall are printed by bench/eval_dedup.py.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from hsctwatch.stories.dedup_eval import judge, load_pairs
from hsctwatch.stories.neardup import _contained_shingled, partial_copy, shingled

PAIRS = load_pairs(Path(__file__).parent / "dedup_pairs.toml")


def test_the_set_covers_every_kind() -> None:
    kinds = Counter(p.kind for p in PAIRS)
    assert len(PAIRS) >= 80
    assert set(kinds) == {"reprint", "edited-reprint", "partial-copy", "same-event", "unrelated-same-topic"}
    assert min(kinds.values()) >= 10


@pytest.mark.parametrize("pair", PAIRS, ids=[f"{i:02d}-{p.kind}" for i, p in enumerate(PAIRS)])
def test_pair(pair) -> None:
    judgement = judge(pair)
    assert judgement.predicted == pair.duplicate, (pair.label, judgement.similarity)


def test_the_partial_copy_check_on_hashed_shingles_gives_the_answer_of_the_shingles_themselves() -> None:
    """The index compares texts by their shingles' 64-bit hashes (`shingled`, which a worker
    process may make): for every labelled pair, the containment of the shingles themselves."""
    for pair in PAIRS:
        hashed = _contained_shingled(shingled(pair.a), shingled(pair.b))
        assert hashed == partial_copy(pair.a, pair.b), pair.label
    assert any(partial_copy(p.a, p.b) > 0 for p in PAIRS)
