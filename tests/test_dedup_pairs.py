"""Every labelled pair of tests/dedup_pairs.toml is judged as an editor would.

The overall precision and recall are printed by bench/eval_dedup.py.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from hsctwatch.stories.dedup_eval import judge, load_pairs

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
