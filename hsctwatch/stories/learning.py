"""The desk's decisions as training data for the learned model, and (re)training it.

What an editor decided about a story labels it:

- approved: relevant — "rescued" when the stored decision had left it out;
- rejected: not relevant;
- a tag added or removed on a story the editor kept in the queue (neither approved nor rejected
  since): relevant, since an editor corrects the tags of a story they keep.

A story approved or retagged also teaches the tag models its tags as they stand (the rules' and
the model's, less those an editor removed, plus those an editor added).

The model is trained on the labelled corpus plus these, and saved beside the store with the
digest of the rules and the id of the last decision it saw. It is retrained on its own when it is
due: before a crawl when it is missing or was made beside other rules, and after a configurable
number of new decisions (counted in the store's decisions table).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select

from hsctwatch.config import Config
from hsctwatch.rules import Document, Rules
from hsctwatch.rules.learned import Example, Learned, Model, learnable_tags, load_model, training_corpus
from hsctwatch.rules.loading import rules_digest
from hsctwatch.stories.models import Decision, Store, Story

#: the decisions that label a story (merges, splits and edits of the title do not)
LABELLING = ("approve", "reject", "reopen", "tag")


@dataclass
class TrainReport:
    path: Path
    reason: str
    corpus_cases: int = 0
    decisions: Counter[str] = field(default_factory=Counter)  # approved, rescued, rejected, retagged
    examples: int = 0

    def line(self) -> str:
        desk = ", ".join(f"{n} {kind}" for kind, n in sorted(self.decisions.items())) or "none yet"
        return (f"learned model trained ({self.reason}) on {self.examples} articles: {self.corpus_cases} "
                f"labelled cases and {self.decisions.total()} from the desk ({desk}); saved to {self.path}")


def desk_examples(store: Store) -> tuple[list[Example], Counter[str], int]:
    """The stories editors labelled, how many of each kind, and the id of the last decision."""
    examples: list[Example] = []
    kinds: Counter[str] = Counter()
    with store.session() as session:
        last = session.scalar(select(func.max(Decision.id))) or 0
        retagged = select(Decision.article_id).where(Decision.action == "tag")
        stories = session.scalars(select(Story).where(
            Story.status.in_(("approved", "rejected")) | Story.id.in_(retagged)).order_by(Story.id))
        for story in stories:
            if story.status == "approved":
                kind, relevant = ("approved" if story.relevant else "rescued"), True
            elif story.status == "rejected":
                kind, relevant = "rejected", False
            else:
                kind, relevant = "retagged", True
            kinds[kind] += 1
            tags = frozenset(t.slug for t in story.tags if t.origin != "removed") if relevant else None
            examples.append(Example(Document(story.title, story.summary, story.text, story.link,
                                             language=story.language), relevant, tags))
    return examples, kinds, int(last)


def train(config: Config, store: Store, reason: str = "asked") -> TrainReport:
    """Train on the corpus and the desk's decisions and save the model; ValueError when there is
    not enough to learn from."""
    path = config.resolve(config.model.path)
    corpus = training_corpus(config.model.corpus)
    desk, kinds, last = desk_examples(store)
    examples = [Example(c.document, c.relevant, c.tags if c.relevant else None) for c in corpus] + desk
    if not examples:
        raise ValueError("nothing to train on: no labelled corpus here and no editors' decisions yet")
    model = Model.train(examples, tags=learnable_tags(Rules.load(config.rules).facets),
                        rules_digest=rules_digest(config.rules), corpus_cases=len(corpus),
                        decisions=len(desk), decisions_upto=last)
    model.save(path)
    return TrainReport(path, reason, len(corpus), kinds, len(examples))


def new_decisions(store: Store, since: int) -> int:
    """Decisions that label a story, made after the decision of id ``since``."""
    with store.session() as session:
        return int(session.scalar(select(func.count()).select_from(Decision).where(
            Decision.id > since, Decision.action.in_(LABELLING))) or 0)


def due(config: Config, store: Store, *, decisions_only: bool = False) -> str:
    """Why the model should be retrained now ("" when it should not): it is missing, unreadable
    or made beside other rules, or enough decisions came since. ``decisions_only``: only the
    last (after an editor's decision, where training a first model would keep the editor waiting)."""
    path = config.model_path
    if path is None or (decisions_only and not path.is_file()):
        return ""
    try:
        model = load_model(path)
    except ValueError:
        return "" if decisions_only else "no usable model yet"
    if model.rules_digest != rules_digest(config.rules):
        return "" if decisions_only else "the rules changed"
    count = new_decisions(store, int(model.meta.get("decisions_upto", 0)))
    return f"{count} new decisions" if count >= config.model.retrain_after else ""


def retrain_if_due(config: Config, store: Store, *, decisions_only: bool = False) -> TrainReport | None:
    """Train when `due`; None when not. ValueError when training was due and failed."""
    reason = due(config, store, decisions_only=decisions_only)
    return train(config, store, reason) if reason else None


def learned_for(config: Config, rules: Rules) -> Learned:
    """The model as the config asks for it, for these rules (off, in use, or a note why not)."""
    return Learned.load(config.model_path, weight=config.model.weight, threshold=rules.threshold,
                        rules_digest=rules.digest)
