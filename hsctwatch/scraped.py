"""Text helpers shared by the pipelines: cleaning scraped strings and HTML fragments.

Entities are decoded exactly once, where a format says its text is markup: an HTML fragment is
read as HTML (`html_to_text`), and plain text is never unescaped again — a title whose page says
`&amp;lt;img&amp;gt;` is the text `&lt;img&gt;`, not `<img>`. The pipelines keep plain text in
`title`, `author`, `summary` and `text`; the feeds escape it for their own formats.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import warnings
from html.entities import html5
from typing import Any

#: Characters XML 1.0 forbids, plus the non-characters readers choke on.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
#: Invisible characters that change how text reads without showing: bidirectional overrides,
#: embeddings and isolates (a right-to-left override turns "gpj.exe" into "exe.jpg"), marks,
#: zero-width spaces and joiners, word joiners, the byte-order mark, soft hyphens, interlinear
#: annotation and musical format controls, and tag characters.
_INVISIBLE = re.compile(
    "[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\U0001d173-\U0001d17a\U000e0000-\U000e007f]"
)
#: What an emoji sequence keeps: a zero-width joiner between two pictographs (a family, a
#: profession) and the tag characters of a subdivision flag (England, Scotland, Wales).
_PICTOGRAPH = "\u2600-\u27bf\U0001f000-\U0001faff"
_EMOJI_JOIN = re.compile(f"(?<=[{_PICTOGRAPH}\ufe0f])\u200d(?=[{_PICTOGRAPH}])")
_FLAG_TAGS = re.compile("\U0001f3f4[\U000e0020-\U000e007e]+\U000e007f")
#: "&A;" where the text had a bare "Q&A": feedparser's loose parser makes an entity of a bare
#: ampersand in a feed that is not well-formed. Real entities (&amp; &eacute; …) are left alone.
_FALSE_ENTITY = re.compile(r"&([A-Za-z][A-Za-z0-9]{0,31});")
#: An HTML tag, comment or declaration: text that has one is markup, whatever its field says.
_TAG = re.compile(r"<(?:[A-Za-z][^<>]*|/[A-Za-z][^<>]*|!--.*?--|![A-Za-z][^<>]*)>", re.DOTALL)
#: Whitespace to make one space: `\s+` read as " ", without replacing each single space by
#: another (a run of two or more, or one other whitespace character), which made it the
#: costliest step of cleaning an article's text. The same within the lines of paragraphs.
_SPACES = re.compile(r"\s{2,}|[^\S ]")
#: Whitespace other than a space: with no "  " either, `_SPACES` has nothing to replace, which a
#: search for one character class finds several times faster than the substitution.
_OTHER_SPACE = re.compile(r"[^\S ]")
_LINE_SPACES = re.compile(r"[ \t\r\f\v\u00a0]{2,}|[\t\r\f\v\u00a0]")
_BLOCKS = ("p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "tr",
           "section", "article", "figcaption", "dd", "dt")


def strip_illegal(text: str) -> str:
    return _ILLEGAL.sub("", text)


def strip_invisible(text: str) -> str:
    """Remove bidirectional controls and zero-width characters (emoji sequences keep theirs)."""
    if not _INVISIBLE.search(text):
        return text
    kept: list[tuple[int, int]] = [m.span() for m in _FLAG_TAGS.finditer(text)]
    kept += [m.span() for m in _EMOJI_JOIN.finditer(text)]
    if not kept:
        return _INVISIBLE.sub("", text)
    out, at = [], 0
    for start, end in sorted(kept):
        out.append(_INVISIBLE.sub("", text[at:start]))
        out.append(text[start:end])
        at = end
    out.append(_INVISIBLE.sub("", text[at:]))
    return "".join(out)


def clean_line(text: str) -> str:
    """One line of plain text: illegal and invisible characters gone, whitespace collapsed.

    Entities are *not* decoded: the text was decoded when its markup was read, and decoding
    it again would turn a title about `&lt;img&gt;` into `<img>`."""
    text = unicodedata.normalize("NFC", strip_invisible(strip_illegal(text or "")))
    if "  " in text or _OTHER_SPACE.search(text):
        text = _SPACES.sub(" ", text)
    return text.strip()


def has_markup(text: str) -> bool:
    return "<" in text and _TAG.search(text) is not None


def text_line(value: str) -> str:
    """One line of plain text from a field that should be text and may carry markup anyway (a
    feed title with `<em>`, a hostile `<script>`): markup is read as HTML, once; text without
    any is kept as it is. Repairs feedparser's "Q&A;" for a bare ampersand."""
    value = strip_illegal(value or "")
    if has_markup(value):
        value = html_to_text(value)
    elif "&" in value:
        value = _FALSE_ENTITY.sub(_false_entity, value)
    return clean_line(value)


def html_line(fragment: str) -> str:
    """One line of plain text from an HTML fragment (a WordPress title.rendered): decoded once."""
    return clean_line(html_to_text(fragment or ""))


def _false_entity(match: re.Match[str]) -> str:
    name = match.group(1)
    return match.group(0) if f"{name};" in html5 else f"&{name}"


def clean_paragraphs(text: str) -> str:
    """Plain text with paragraphs separated by one blank line."""
    text = unicodedata.normalize("NFC", strip_invisible(strip_illegal(text or "")))
    if _has_line_spaces(text):
        paragraphs = [_LINE_SPACES.sub(" ", p).strip() for p in re.split(r"\n\s*\n|\n", text)]
    else:
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n|\n", text)]
    return "\n\n".join(p for p in paragraphs if p)


def _has_line_spaces(text: str) -> bool:
    """Whether `_LINE_SPACES` has anything to replace in the text: str's own search finds that
    several times faster than the regex engine, whose class holds a non-ASCII character."""
    return "  " in text or any(c in text for c in "\t\r\f\v\u00a0")


def html_to_text(fragment: str) -> str:
    """The readable text of an HTML fragment (feed content, WordPress content.rendered)."""
    if not fragment:
        return ""
    if "<" not in fragment and "&" not in fragment:
        return clean_paragraphs(fragment)
    soup = _soup(fragment)
    for tag in soup(["script", "style", "noscript", "iframe", "form", "svg", "template"]):
        tag.decompose()
    for tag in soup.find_all(_BLOCKS):
        tag.insert_before("\n\n")
        tag.insert_after("\n\n")
    for br in soup.find_all("br"):
        br.replace_with("\n")
    return clean_paragraphs(soup.get_text())


def _soup(fragment: str) -> Any:
    # bs4 is imported here: the feeds and the desk import this module, and need it rarely
    from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning

    with warnings.catch_warnings():  # a title or guid that is a URL is text, not a mistake
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        return BeautifulSoup(fragment, "lxml")


def content_hash(text: str) -> str:
    """Equal for texts that differ only in case, punctuation and spacing."""
    words = re.findall(r"\w+", (text or "").lower())
    if not words:
        return ""
    return hashlib.sha256(" ".join(words).encode("utf-8")).hexdigest()


def word_count(text: str) -> int:
    return len(re.findall(r"\w+", text or ""))


# -- the site's name in titles ---------------------------------------------------------------

#: What separates a headline from the site's name in a page's <title>: "Headline | Site",
#: "Site – Headline", "Headline - Site", "Site: Headline", "Headline » Section » Site".
_TITLE_SEPARATOR = re.compile(r"(\s*[|–—·•»~]\s*|\s+[-/]\s+|:\s+)")


def _comparable(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    text = text.translate(str.maketrans("‘’‚‛“”„‟", "''''\"\"\"\""))
    return re.sub(r"\s+", " ", text).strip(" .")


def without_site_name(title: str, headlines: list[str], site_names: list[str]) -> str:
    """The title without the site's name, told by comparing it with what else the page calls
    its headline (h1, og:title, JSON-LD headline) and names itself (og:site_name, the JSON-LD
    WebSite or publisher): "Headline | MS Support Network" with an h1 "Headline" is "Headline".
    No list of site names: a title nothing on its page explains is left as it is."""
    title = clean_line(title)
    sites = {_comparable(s) for s in site_names if s and s.strip()}
    wanted = [_comparable(h) for h in headlines if h and h.strip()]
    wanted = [h for h in wanted if h and h not in sites]
    parts = _TITLE_SEPARATOR.split(title)  # segment, separator, segment, …
    segments = len(parts) // 2 + 1
    if segments < 2:
        return title
    # a run of whole segments that is a headline, with something left over (og:title may carry
    # the site's name as the <title> does, and the h1 not)
    for headline in wanted:
        for first in range(segments):
            for last in range(first, segments):
                if (first, last) == (0, segments - 1):
                    continue
                run = "".join(parts[2 * first: 2 * last + 1]).strip()
                if _comparable(run) == headline:
                    return run
    if _comparable(title) in wanted:  # a headline with a separator of its own
        return title
    if _comparable(parts[-1]) in sites:  # else: the site's own name at either end
        return "".join(parts[:-2]).strip()
    if _comparable(parts[0]) in sites:
        return "".join(parts[2:]).strip()
    return title


# -- feed footers ------------------------------------------------------------------------------

#: What feeds and themes append to an excerpt or a post, not part of what was written: Yoast's
#: "The post … appeared first on …" (in the languages followed, and French), WordPress's "This
#: entry was posted in …", "Continue reading", "Read more" and their translations.
_APPEARED_FIRST = (
    r"The post .{1,500}? (?:appeared first|first appeared) on .{1,300}?"
    r"|La entrada .{1,500}? se publicó primero en .{1,300}?"
    r"|(?:O post|A entrada|O artigo) .{1,500}? apareceu primeiro em .{1,300}?"
    r"|Der Beitrag .{1,500}? erschien zuerst auf .{1,300}?"
    r"|L['’]articolo .{1,500}? (?:proviene da|sembra essere il primo su) .{1,300}?"
    r"|L['’]article .{1,500}? est apparu en premier sur .{1,300}?"
    r"|(?:Сообщение|Запись) .{1,500}? (?:появились сначала|впервые появилась) на .{1,300}?"
)
_READ_ON = (
    r"(?:Continue reading|Keep reading|Read more|Read More"
    r"|Read the (?:full|rest of the) (?:article|story|post)"
    r"|Seguir leyendo|Continuar leyendo|Leer más|Continue lendo|Continuar lendo|Leia mais"
    r"|Weiterlesen|Mehr lesen|Continua a leggere|Leggi (?:tutto|di più)|Читать далее|Подробнее)"
    r"\b[^.!?\n]{0,200}?"
)
_ELLIPSIS = r"\[(?:…|\.\.\.|&hellip;|&#8230;)\]"
_END = r"[.!?»›→\s]*"
#: A whole paragraph of footer.
_FOOTER_PARAGRAPH = re.compile(
    rf"^(?:{_APPEARED_FIRST}|This (?:entry|post) was posted in .{{1,500}}|{_READ_ON}|{_ELLIPSIS}|…){_END}$",
    re.DOTALL,
)
#: The same at the end of a paragraph (or of an excerpt kept on one line): "… and so on. [&#8230;]
#: The post … appeared first on …", "… Continue reading →".
_FOOTER_TAIL = re.compile(
    rf"(?:\s*{_ELLIPSIS}|(?<=[.!?…”\"'\]])\s*(?:{_APPEARED_FIRST}|{_READ_ON}){_END})+$"
)
#: How every alternative of `_FOOTER_TAIL` begins (a "[" or the first words of a footer): a
#: paragraph with none of them has no footer at its end, which this finds many times faster than
#: trying the tail's alternatives at each of its characters. A new footer adds its first words.
_FOOTER_START = re.compile(
    r"\[|The post |La entrada |O post |A entrada |O artigo |Der Beitrag |L['’]artic|Сообщение |Запись "
    r"|Continu|Keep reading|Read |Seguir leyendo|Leer más|Leia mais|Weiterlesen|Mehr lesen|Leggi "
    r"|Читать далее|Подробнее"
)


def without_feed_footer(text: str) -> str:
    """Text (paragraphs separated by blank lines) without the footers feeds add to excerpts and
    posts. An excerpt cut mid-sentence keeps one "…" where its "[…]" was."""
    paragraphs = [p for p in (text or "").split("\n\n")]
    while paragraphs and (not paragraphs[-1].strip() or _is_footer(paragraphs[-1])):
        paragraphs.pop()
    paragraphs = [p for p in paragraphs if not _is_footer(p)]
    if paragraphs:
        last = paragraphs[-1].rstrip()
        head = max(len(last) - 2000, 0)  # a footer is short: look only at the paragraph's end
        tail = last[head:]
        cut = last[:head] + (_FOOTER_TAIL.sub("", tail) if _FOOTER_START.search(tail) else tail).rstrip()
        if cut != last:
            paragraphs[-1] = cut if cut.endswith((".", "!", "?", "…", "”", '"', ":")) else cut + "…"
        if not paragraphs[-1].strip():
            paragraphs.pop()
    return "\n\n".join(paragraphs)


def _is_footer(paragraph: str) -> bool:
    return len(paragraph) < 1200 and _FOOTER_PARAGRAPH.match(paragraph.strip()) is not None
