"""index.html: a page listing every feed, for people who land on the folder."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

from feeds.model import FeedMeta, FeedTag
from feeds.sanitize import clean_text

FACET_NAMES = {"type": "Type of article", "ms-type": "Form of MS", "topic": "Topic",
               "country": "Country", "trial": "Trial"}
STYLE = """body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;
line-height:1.5;color:#222}h1{font-size:1.6rem}h2{font-size:1.15rem;margin-top:1.6rem}
ul{padding-left:1.2rem}.count{color:#666;font-size:.9em}code{background:#f3f3f3;padding:0 .2em}"""


def index_bytes(meta: FeedMeta, tags: Mapping[FeedTag, int], total: int,
                languages: Mapping[str, tuple[str, int]] | None = None) -> bytes:
    """The page; `languages`: each language feed's code, name and number of items."""
    esc = html.escape
    title = esc(clean_text(meta.title))
    lines = [
        "<!DOCTYPE html>",
        f'<html lang="{esc(meta.language)}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{title}</title>",
        f'<link rel="alternate" type="application/rss+xml" title="{title} (RSS)" href="rss.xml">',
        f'<link rel="alternate" type="application/atom+xml" title="{title} (Atom)" href="atom.xml">',
        f'<link rel="alternate" type="application/feed+json" title="{title} (JSON)" href="feed.json">',
        f"<style>{STYLE}</style></head><body>",
        f"<h1>{title}</h1>",
        f"<p>{esc(clean_text(meta.description))}</p>",
        "<p>Add one of these addresses to your feed reader.</p>",
        "<h2>Everything</h2><ul>",
        f'<li><a href="rss.xml">RSS</a> · <a href="atom.xml">Atom</a> · '
        f'<a href="feed.json">JSON Feed</a> <span class="count">({total} items)</span></li>',
        "</ul>",
    ]
    if languages:
        lines.append("<h2>By language</h2><ul>")
        for code, (name, count) in sorted(languages.items(), key=lambda kv: kv[1][0].lower()):
            href = f"lang/{esc(code)}.xml"
            lines.append(f'<li><a href="{href}" hreflang="{esc(code)}">{esc(clean_text(name))}</a> '
                         f'<code>{href}</code> <span class="count">({count})</span></li>')
        lines.append("</ul>")
    by_facet: dict[str, list[tuple[FeedTag, int]]] = {}
    for tag, count in tags.items():
        by_facet.setdefault(tag.facet, []).append((tag, count))
    for facet in sorted(by_facet, key=lambda f: (list(FACET_NAMES).index(f) if f in FACET_NAMES else 99, f)):
        lines.append(f"<h2>{esc(FACET_NAMES.get(facet, facet))}</h2><ul>")
        for tag, count in sorted(by_facet[facet], key=lambda tc: tc[0].display.lower()):
            slug = esc(tag.slug)
            lines.append(f'<li><a href="tags/{slug}.xml">{esc(clean_text(tag.display))}</a> '
                         f'<code>tags/{slug}.xml</code> <span class="count">({count})</span></li>')
        lines.append("</ul>")
    lines.append("<p class=\"count\">Made by hsct-watch. Every item links to its original "
                 "publisher; excerpts only.</p></body></html>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def tag_counts(items: Sequence[object]) -> dict[FeedTag, int]:
    counts: dict[FeedTag, int] = {}
    for item in items:
        for tag in item.tags:  # type: ignore[attr-defined]
            key = FeedTag(tag.facet, tag.slug, tag.label)
            counts[key] = counts.get(key, 0) + 1
    return counts
