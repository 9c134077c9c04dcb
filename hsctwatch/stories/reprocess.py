"""Re-running relevance and tags over every stored story, after the rules changed.

Only what the rules decide is recomputed: relevance (with the learned model's evidence, when it
is on), its score and reasons, whether it is a near miss, and the tags of origin "rules".
Editors' decisions — status, tags they added or removed, merges and splits — are data the rules
don't touch, so they survive.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import select

from hsctwatch.language import decide
from hsctwatch.rules import Document, Rules
from hsctwatch.rules.learned import Learned
from hsctwatch.stories.copies import set_rule_tags
from hsctwatch.stories.models import Store, Story


@dataclass
class ReprocessReport:
    stories: int = 0
    newly_relevant: list[int] = field(default_factory=list)
    dropped: list[int] = field(default_factory=list)
    borderline: int = 0  # near misses, for an editor to see first
    tags_added: Counter[str] = field(default_factory=Counter)
    tags_removed: Counter[str] = field(default_factory=Counter)

    @property
    def changed(self) -> bool:
        return bool(self.newly_relevant or self.dropped or self.tags_added or self.tags_removed)


def reprocess(store: Store, rules: Rules, batch: int = 500, *, learned: Learned | None = None,
              margin: float = 0.15, focus: Mapping[str, str] | None = None,
              dry_run: bool = False) -> ReprocessReport:
    """Re-judge every story. ``learned``: the model as the relevance stage applies it (default:
    off); ``margin``: how far under the threshold a story is borderline; ``focus``: each source's
    declared focus (by name), as the config now says; ``dry_run``: only report, each batch rolled
    back unwritten."""
    report = ReprocessReport()
    learned = learned or Learned()
    last_id = 0
    while True:
        with store.trial() if dry_run else store.session() as session:
            articles = session.scalars(
                select(Story).where(Story.id > last_id).order_by(Story.id).limit(batch)
            ).all()
            if not articles:
                return report
            for article in articles:
                _one(article, rules, learned, margin, report, (focus or {}).get(article.source, ""))
            last_id = articles[-1].id


def _one(article: Story, rules: Rules, learned: Learned, margin: float, report: ReprocessReport,
         focus: str) -> None:
    report.stories += 1
    if not article.language:  # stored before languages were told: told now, from the text
        check = decide(article.title, article.summary, article.text)
        article.language = check.code
        article.metadata_ = {**(article.metadata_ or {}), "language": check.as_dict()}
    categories = (article.metadata_ or {}).get("categories") or ()
    document = Document(title=article.title, summary=article.summary, text=article.text, url=article.link,
                        categories=tuple(str(c) for c in categories), focus=focus,
                        language=article.language)
    decision = learned.combine(document, rules.relevance(document))
    if decision.relevant and not article.relevant:
        report.newly_relevant.append(article.id)
    elif article.relevant and not decision.relevant:
        report.dropped.append(article.id)
    article.relevant = decision.relevant
    article.relevance_score = decision.score
    article.relevance_reasons = list(decision.reasons)
    article.borderline = decision.borderline(rules.threshold, margin)
    report.borderline += article.borderline
    before = {t.slug for t in article.tags if t.origin == "rules"}
    found = learned.retag(document, rules.tags(document), rules.facet) if decision.relevant else []
    tags = [t.as_dict() for t in found]
    set_rule_tags(article, tags)
    after = {t.slug for t in article.tags if t.origin == "rules"}
    report.tags_added.update(after - before)
    report.tags_removed.update(before - after)
