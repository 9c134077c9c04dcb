"""Why an item is in or out of the feeds, and why it has each tag — for readers of `explain`
and for editors' `review show`."""

from __future__ import annotations

from sqlalchemy import select

from hsctwatch.language import LanguageCheck
from hsctwatch.stories.models import Decision, Store, Story, is_published
from hsctwatch.stories.review import find


def describe(store: Store, ref: str, publish: str = "auto") -> str:
    with store.session() as session:
        article = find(session, store, ref)
        verdict = "relevant" if article.relevant else "not relevant"
        categories = (article.metadata_ or {}).get("categories")  # the post's own, as its page gave them
        published = "in the feeds" if is_published(article, publish) else "not published"
        lines = [
            f"Item {article.id} · {article.status} · {verdict} "
            f"(score {article.relevance_score:.2f}) · {published}",
            f"Title:     {article.title}",
            *([f"Shown as:  {article.edit.title}"] if article.edit and article.edit.title else []),
            *([f"Excerpt:   {article.edit.summary}"] if article.edit and article.edit.summary else []),
            f"Link:      {article.link}",
            f"Source:    {article.source}",
            f"Language:  {language_line(article)}",
            *([f"Filed as:  {' · '.join(map(str, categories))}"] if categories else []),
            f"Published: {article.published:%Y-%m-%d %H:%M} UTC" if article.published
            else "Published: unknown",
        ]
        if article.updated:
            lines.append(f"Updated:   {article.updated:%Y-%m-%d %H:%M} UTC")
        lines.append(f"Guid:      {article.guid}")
        lines.append("Copies:")
        for copy in article.copies:
            role = "original" if copy.is_original else f"copy ({copy.match_reason or 'same story'})"
            lines.append(f"  {'*' if copy.is_original else '-'} {copy.url}  [{copy.source}] {role}")
            if copy.attribution:
                lines.append(f"      attribution: {copy.attribution}")
        lines.append("Why it is in:" if article.relevant else "Why it is out:")
        rules, learned = split_reasons(article.relevance_reasons or ["(no reasons stored)"])
        lines += [f"  - {reason}" for reason in rules]
        if learned:
            lines.append("  and the learned model (from the corpus and editors' decisions):")
            lines += [f"    - {reason}" for reason in learned]
        if article.borderline and article.status == "new":
            lines.append("Borderline: just under the threshold, first in the editors' queue")
        lines.append("Tags:" if article.tags else "Tags: none")
        for tag in sorted(article.tags, key=lambda t: (t.facet, t.slug)):
            if tag.origin == "removed":
                lines.append(f"  {tag.facet}/{tag.slug}: removed by an editor")
                continue
            if tag.origin == "editor":
                lines.append(f"  {tag.facet}/{tag.slug}: added by an editor")
                continue
            evidence = "; ".join(f'"{e["phrase"]}" ({e["where"]})' for e in tag.evidence) or "—"
            lines.append(f"  {tag.facet}/{tag.slug}: {evidence}")
        decisions = session.scalars(
            select(Decision).where(Decision.article_id == article.id).order_by(Decision.at)
        ).all()
        if decisions:
            lines.append("Decisions:")
            for decision in decisions:
                detail = f" {decision.detail}" if decision.detail else ""
                lines.append(f"  {decision.at:%Y-%m-%d %H:%M} {decision.action} by {decision.editor}{detail}")
    return "\n".join(lines)


def language_line(article: Story) -> str:
    """The story's language and how it was told: from its text, checked against what the page said."""
    check = (article.metadata_ or {}).get("language")
    if isinstance(check, dict) and check.get("code") == article.language:
        return LanguageCheck.from_dict(check).reason
    return article.language or "unknown (stored before languages were told; `reprocess` tells it)"


def split_reasons(reasons: list[str]) -> tuple[list[str], list[str]]:
    """The rules' reasons, and the learned model's (which follow them, hsctwatch.rules.learned)."""
    at = next((i for i, r in enumerate(reasons) if r.startswith("learned model")), len(reasons))
    return reasons[:at], [r.removeprefix("learned model: ") for r in reasons[at:]]
