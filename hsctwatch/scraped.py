"""Text helpers shared by the pipelines: cleaning scraped strings and HTML fragments."""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata

#: Characters XML 1.0 forbids, plus the non-characters readers choke on.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_BLOCKS = ("p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "tr",
           "section", "article", "figcaption", "dd", "dt")


def strip_illegal(text: str) -> str:
    return _ILLEGAL.sub("", text)


def clean_line(text: str) -> str:
    """One line of plain text: entities decoded, illegal characters gone, whitespace collapsed."""
    text = html.unescape(strip_illegal(text or ""))
    text = unicodedata.normalize("NFC", text)
    return re.sub(r"\s+", " ", text).strip()


def clean_paragraphs(text: str) -> str:
    """Plain text with paragraphs separated by one blank line."""
    text = unicodedata.normalize("NFC", strip_illegal(text or ""))
    paragraphs = [re.sub(r"[ \t\r\f\v\u00a0]+", " ", p).strip() for p in re.split(r"\n\s*\n|\n", text)]
    return "\n\n".join(p for p in paragraphs if p)


def html_to_text(fragment: str) -> str:
    """The readable text of an HTML fragment (feed content, WordPress content.rendered)."""
    if not fragment:
        return ""
    if "<" not in fragment and "&" not in fragment:
        return clean_paragraphs(fragment)
    from bs4 import BeautifulSoup  # here: the feeds and the desk import this module, not bs4

    soup = BeautifulSoup(fragment, "lxml")
    for tag in soup(["script", "style", "noscript", "iframe", "form", "svg", "template"]):
        tag.decompose()
    for tag in soup.find_all(_BLOCKS):
        tag.insert_before("\n\n")
        tag.insert_after("\n\n")
    for br in soup.find_all("br"):
        br.replace_with("\n")
    return clean_paragraphs(soup.get_text())


def content_hash(text: str) -> str:
    """Equal for texts that differ only in case, punctuation and spacing."""
    words = re.findall(r"\w+", (text or "").lower())
    if not words:
        return ""
    return hashlib.sha256(" ".join(words).encode("utf-8")).hexdigest()


def word_count(text: str) -> int:
    return len(re.findall(r"\w+", text or ""))
