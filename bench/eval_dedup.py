"""Precision and recall of duplicate detection on the labelled pairs in tests/dedup_pairs.toml.

    .venv/bin/python bench/eval_dedup.py
"""

from __future__ import annotations

from pathlib import Path

from hsctwatch.stories.dedup_eval import evaluate

PAIRS = Path(__file__).resolve().parent.parent / "tests" / "dedup_pairs.toml"


def main() -> None:
    result = evaluate(PAIRS)
    print(f"duplicate detection on {result['pairs']} labelled pairs ({PAIRS.name})")
    print(f"  precision {result['precision']:.3f}  recall {result['recall']:.3f}  F1 {result['f1']:.3f}")
    for kind, counts in sorted(result["by_kind"].items()):
        print(f"  {kind:22} {counts['correct']:>3}/{counts['total']:<3} right")
    print("  similarity (estimated Jaccard of 4-word shingles) and containment (of the shorter text")
    print("  in the longer, when it carries the longer's opening) by kind:")
    sims: dict[str, list[tuple[float, float]]] = {}
    for j in result["judgements"]:
        sims.setdefault(j.pair.kind, []).append((j.similarity, j.containment))
    for kind, values in sorted(sims.items()):
        jaccard, contained = [v[0] for v in values], [v[1] for v in values]
        print(f"    {kind:22} Jaccard {min(jaccard):.2f}–{max(jaccard):.2f}  "
              f"containment {min(contained):.2f}–{max(contained):.2f}")
    for label, truth, similarity, containment in result["errors"]:
        print(f"  WRONG ({'duplicate' if truth else 'different'}, similarity {similarity}, "
              f"containment {containment}): {label}")


if __name__ == "__main__":
    main()
