"""Showing scraped text safely: every character of it is escaped, then the evidence of each tag is
marked. Nothing from a page is ever passed through as markup."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from markupsafe import Markup, escape


@dataclass(frozen=True)
class Mark:
    phrase: str
    slug: str
    facet: str


def safe_href(url: str | None) -> str:
    """A link target that can only go to a web page: anything but http(s) becomes '#'."""
    if not url:
        return "#"
    url = url.strip()
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return "#"
    return url if scheme in ("http", "https") and not any(c in url for c in "\x00\r\n\t") else "#"


def _spans(text: str, marks: Iterable[Mark]) -> list[tuple[int, int, Mark]]:
    """Non-overlapping occurrences of the marks' phrases, longest phrase first on a tie."""
    found: list[tuple[int, int, Mark]] = []
    for mark in sorted(marks, key=lambda m: -len(m.phrase)):
        phrase = mark.phrase.strip()
        if len(phrase) < 2:
            continue
        pattern = r"\s+".join(re.escape(word) for word in phrase.split())
        for m in re.finditer(pattern, text, flags=re.IGNORECASE):
            if all(m.end() <= s or m.start() >= e for s, e, _ in found):
                found.append((m.start(), m.end(), mark))
    return sorted(found, key=lambda f: f[0])


def highlight(text: str, marks: Sequence[Mark]) -> Markup:
    """``text`` escaped, with each evidence phrase wrapped in <mark> naming its tag."""
    out: list[str] = []
    pos = 0
    for start, end, mark in _spans(text, marks):
        out.append(str(escape(text[pos:start])))
        out.append(
            f'<mark class="ev facet-{escape(mark.facet)}" data-tag="{escape(mark.slug)}" '
            f'title="{escape(mark.facet)}: {escape(mark.slug)}">{escape(text[start:end])}</mark>'
        )
        pos = end
    out.append(str(escape(text[pos:])))
    return Markup("".join(out))


def paragraphs(text: str, marks: Sequence[Mark]) -> list[Markup]:
    """The text's paragraphs (blank-line separated, else line separated), each highlighted."""
    parts = [p.strip() for p in re.split(r"\n\s*\n", text or "") if p.strip()]
    if len(parts) <= 1:
        parts = [p.strip() for p in (text or "").splitlines() if p.strip()]
    return [highlight(part, marks) for part in parts]
