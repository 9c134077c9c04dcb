"""Where the rules and the learned model spend their time, per document.

    .venv/bin/python bench/profile_rules.py              # the corpus and every blind batch
    .venv/bin/python bench/profile_rules.py --pages 300  # generated pages, as bench/run.py serves them
    .venv/bin/python bench/profile_rules.py --profile    # and cProfile's 30 costliest functions

Prints the CPU milliseconds a document of relevance, of tags (of every document, not only the
relevant ones, so that each rule is exercised) and of the learned model (trained here on the
default training corpus, then scoring each document as the relevance and tag stages do). Each
document is read afresh: the cache of views that the relevance and tag stages share is cleared
before each one.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hsctwatch.rules import Document, Rules  # noqa: E402
from hsctwatch.rules.views import view_of  # noqa: E402


def documents(pages: int) -> list[Document]:
    """The generated pages' text as the extract stage reads it, or the labelled corpus."""
    if pages:
        import trafilatura

        from bench.run import HOSTS, page, sentences

        pool = sentences()
        texts = (trafilatura.extract(page(n % len(HOSTS), n, pool).decode()) or "" for n in range(pages))
        return [Document(title=f"page {n}", text=text) for n, text in enumerate(texts)]
    from hsctwatch.rules.evaluate import DEFAULT_CORPUS, load_corpus

    return [c.document for c in load_corpus(DEFAULT_CORPUS) + load_corpus(DEFAULT_CORPUS / "blind")]


def per_document(docs: list[Document], work: Callable[[Document], object]) -> float:
    """CPU milliseconds a document."""
    started = time.process_time()
    for doc in docs:
        view_of.cache_clear()
        work(doc)
    return 1000 * (time.process_time() - started) / max(len(docs), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=0, help="generated pages instead of the corpus")
    parser.add_argument("--profile", action="store_true", help="print cProfile's costliest functions")
    args = parser.parse_args()
    rules = Rules.load()
    rules.check_languages()
    docs = documents(args.pages)
    from hsctwatch.rules.learned import Example, Learned, Model, learnable_tags, training_corpus

    cases = training_corpus()
    model = Model.train([Example(c.document, c.relevant, c.tags if c.relevant else None) for c in cases],
                        tags=learnable_tags(rules.facets), rules_digest=rules.digest)
    learned = Learned(True, model, 0.6, rules.threshold)

    def judge(doc: Document) -> None:
        decision = rules.relevance(doc)
        learned.retag(doc, rules.tags(doc), rules.facet)
        learned.combine(doc, decision)

    per_document(docs, judge)  # warm: each language's rules are compiled when first used
    print(f"{len(docs)} documents, CPU ms a document: "
          f"relevance {per_document(docs, rules.relevance):.2f}, tags {per_document(docs, rules.tags):.2f}, "
          f"learned model {per_document(docs, lambda d: (model.reading(d), model.tag_probability(d))):.2f}")
    if args.profile:
        profile = cProfile.Profile()
        profile.runcall(per_document, docs, judge)
        pstats.Stats(profile).sort_stats("tottime").print_stats(30)


if __name__ == "__main__":
    main()
