"""Scraped text made safe for feeds: plain titles, sanitized HTML, short excerpts, valid XML."""

from __future__ import annotations

import html
import re
from functools import lru_cache

import nh3

from hsctwatch.scraped import strip_illegal, text_line, without_feed_footer

MAX_WORDS = 60
ALLOWED_TAGS = {"p", "a", "strong", "em", "ul", "li", "br"}
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)]*\s+")


@lru_cache(maxsize=8192)  # a source's name, a tag's label, a title: the same few strings again and again
def clean_text(value: str) -> str:
    """One line of plain text from untrusted input: characters illegal in XML, bidirectional
    overrides and zero-width characters removed; a value with tags in it read as HTML. The
    store keeps plain text, already decoded: its entities are not decoded again (a title about
    "&lt;img&gt;" stays that text)."""
    return text_line(value)


def sanitize_html(fragment: str) -> str:
    """Only a small safe set of tags, only http(s) links, every link marked nofollow."""
    return strip_illegal(
        nh3.clean(
            strip_illegal(fragment or ""),
            tags=ALLOWED_TAGS,
            attributes={"a": {"href"}},
            url_schemes={"http", "https"},
            link_rel="noopener noreferrer nofollow",
            strip_comments=True,
        )
    )


def make_excerpt(summary: str, text: str, max_words: int = MAX_WORDS) -> str:
    """The article's own summary, else its first sentences, at most ``max_words`` words; never
    a feed's footer ("The post … appeared first on …", "Continue reading"), which a store
    filled by an older version may still hold."""
    source = clean_text(without_feed_footer(summary or "")) or _first_paragraphs(text)
    words = source.split()
    if len(words) <= max_words:
        return source
    cut = " ".join(words[:max_words])
    sentences = _SENTENCE_END.split(cut)
    if len(sentences) > 1:
        whole = " ".join(sentences[:-1]).strip()
        if len(whole.split()) >= max_words // 3:
            return whole
    return cut.rstrip(",;:—-") + "…"


def _first_paragraphs(text: str) -> str:
    # the excerpt needs the first MAX_WORDS words: a few thousand characters, not the whole text
    head = without_feed_footer((text or "")[: MAX_WORDS * 40])
    out: list[str] = []
    words = 0
    for raw in re.split(r"\n\s*\n", strip_illegal(head)):  # cleaned only as far as needed
        paragraph = clean_text(raw)
        if paragraph:
            out.append(paragraph)
            words += len(paragraph.split())
        if words >= MAX_WORDS:
            break
    return " ".join(out)


def item_html(excerpt: str, link: str, source_title: str, note: str = "",
              copies: tuple[tuple[str, str], ...] = (), see_also: tuple[tuple[str, str], ...] = (),
              translations: tuple[tuple[str, str, str], ...] = ()) -> str:
    """The item's body: note, excerpt, a link to the original, the other copies, the same
    article in other languages ("Also in Spanish: …"). Sanitized."""
    esc = html.escape
    parts = []
    if note:
        parts.append(f"<p><strong>{esc(clean_text(note))}</strong></p>")
    parts.append(f"<p>{esc(excerpt)}</p>")
    parts.append(f'<p><a href="{esc(link)}">Read the full article at {esc(clean_text(source_title))}</a></p>')
    if copies:
        links = ", ".join(f'<a href="{esc(url)}">{esc(clean_text(title))}</a>' for url, title in copies)
        parts.append(f"<p>Also published at: {links}</p>")
    for url, title in see_also:
        parts.append(f'<p>See also <a href="{esc(url)}">{esc(clean_text(title))}</a></p>')
    for name, url, title in translations:
        parts.append(f'<p>Also in {esc(clean_text(name))}: '
                     f'<a href="{esc(url)}">{esc(clean_text(title))}</a></p>')
    return sanitize_html("".join(parts))
