"""extract: the main text and metadata of each article.

trafilatura finds the main text without navigation, cookie banners, related boxes and
comments; extruct reads JSON-LD and Open Graph; htmldate finds a date when nothing else gives
one. They and our own selectors read one parse of the page (`shared_tree`), where each of
them used to parse it on its own. Pages that are not articles (tag indexes, search results,
login walls, empty event listings) are dropped here, with the reason counted.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import html
import re
import time
from collections.abc import Coroutine, Mapping
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

import extruct
import trafilatura
import trafilatura.core
import trafilatura.external
import trafilatura.utils
from htmldate import find_date
from lxml import etree
from lxml.etree import XPath, _Element
from lxml.html import HtmlElement
from parsel import Selector
from parsel.csstranslator import css2xpath
from trafilatura import load_html
from trafilatura.settings import Extractor

from hsctwatch.crawl.judgement import Judgement, categories
from hsctwatch.crawl.timing import charge, timed
from hsctwatch.crawl.worker import offload, stop, workers_wanted
from hsctwatch.dates import parse_date
from hsctwatch.language import LanguageCheck, decide, primary
from hsctwatch.rules import Document, Rules
from hsctwatch.scraped import (
    clean_line,
    clean_paragraphs,
    content_hash,
    html_to_text,
    without_feed_footer,
    without_site_name,
    word_count,
)
from hsctwatch.stories.neardup import fingerprints, shingled, signature
from hsctwatch.urls import canonical_url
from pipelines.relevance import judge

if TYPE_CHECKING:  # the worker process, which imports this module, does without Scrapy
    from scrapy.crawler import Crawler

    from hsctwatch.crawl.items import Article

NOT_ARTICLE_TYPES = {"CollectionPage", "SearchResultsPage", "ProfilePage", "ContactPage",
                     "AboutPage", "CheckoutPage", "Event"}
ARTICLE_TYPES = {"Article", "NewsArticle", "BlogPosting", "ScholarlyArticle", "Report",
                 "MedicalScholarlyArticle", "AnalysisNewsArticle", "ReportageNewsArticle",
                 "OpinionNewsArticle", "TechArticle", "MedicalWebPage", "WebPage", "LiveBlogPosting"}
_ATTRIBUTION_CUES = (
    r"first (?:appeared|published)|originally (?:appeared|published)|"
    r"reproduced (?:here )?(?:with (?:kind )?permission )?(?:from|of)|republished (?:from|with)|"
    r"reprinted (?:from|with)|provided by|this (?:column|article|story|post) (?:first )?ran|"
    # a partial copy's link back: "Read the rest at …", "Continue reading on …"
    r"originally posted|read the rest\b|continue reading (?:it |this |the \w+ )?(?:at|on|over at)\b|"
    r"read the (?:full|whole|complete|original) (?:article|story|post|column|piece|interview)"
)
_ATTRIBUTION_CUE = re.compile(rf"\b(?:{_ATTRIBUTION_CUES})", re.IGNORECASE)


class ExtractPipeline:
    """Main text, summary, rel=canonical, author, dates and structured metadata."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.min_words = crawler.settings.getint("HSCTWATCH_EXTRACT_MIN_WORDS", 80)
        self.max_html = crawler.settings.getint("HSCTWATCH_EXTRACT_MAX_HTML", 5 * 1024 * 1024)
        # pages are read in a worker process, on a second core (hsctwatch.crawl.worker); 0: here
        workers = crawler.settings.get("HSCTWATCH_WORKERS")
        self.workers = workers_wanted(None if workers in (None, "") else int(workers))
        # the rules the relevance and tag stages apply, for the worker to judge with
        self.rules_path = crawler.settings.get("HSCTWATCH_RULES") or None
        try:
            self.rules_digest = Rules.load(self.rules_path).digest if self.workers else ""
        except ValueError:  # the relevance stage says what is wrong with the file
            self.rules_digest = ""
        # and the learned model they add to the rules, for the worker to read each article with
        self.model_path = crawler.settings.get("HSCTWATCH_MODEL") or None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractPipeline:
        return cls(crawler)

    @timed("extract")
    def process_item(self, item: Article) -> Article | Coroutine[Any, Any, Article]:
        stats = self.crawler.stats
        page = item.get("page_html") or ""
        if len(page) > self.max_html:
            stats.inc_value("hsctwatch/extract/page_too_large")
            page = page[: self.max_html]
        if not page:
            return self._finish(item, "", {})
        url = item.get("final_url") or item["url"]
        fields = {k: item.get(k) for k in ("title", "content_html", "summary_html", "record_type",
                                            "canonical_url", "url", "feed_language", "categories",
                                            "focus")}
        future = offload(self.workers, read_and_judge, page, url, fields, self.min_words,
                         self.rules_path, self.rules_digest, self.model_path)
        if future is None:
            text, meta = read_page(page, url)
            stats.inc_value("hsctwatch/extract/pages")
            return self._finish(item, text, meta)
        return self._finish_later(item, future, page, url)

    async def _finish_later(self, item: Article, future: asyncio.Future[Any], page: str,
                            url: str) -> Article:
        try:
            text, meta, seconds, judgement = await future
        except BrokenProcessPool:  # the worker died: read the page here, and the next ones too
            stop()
            started = time.perf_counter()
            text, meta = read_page(page, url)
            seconds, judgement = time.perf_counter() - started, None
        if judgement is not None:
            item["judgement"] = judgement
        self.crawler.stats.inc_value("hsctwatch/extract/pages")
        started = time.perf_counter()
        try:
            return self._finish(item, text, meta)
        finally:
            charge(self, "extract", seconds + time.perf_counter() - started)

    def _finish(self, item: Article, text: str, meta: dict[str, Any]) -> Article:
        """The rest, from the page's text and metadata: the feed's text instead when it is
        longer, records, pages that are not articles."""
        from scrapy.exceptions import DropItem  # here: the worker process imports no Scrapy

        stats = self.crawler.stats
        story = meta.pop("story", None)  # what the worker made of the page's text already
        text = _main_text(item, text) if story is None else story["story"]
        if item.get("record_type"):
            # a paper or trial record from a research API is an item even with a short (or no)
            # abstract: its title says what it is
            meta["record"] = dict(item.get("record") or {})
            self._fill(item, text or item.get("title") or "", meta, story)
            stats.inc_value("hsctwatch/extract/records")
            return item
        words = word_count(text) if story is None else story["words"]
        if meta.get("type") in NOT_ARTICLE_TYPES and words < 2 * self.min_words:
            stats.inc_value("hsctwatch/extract/dropped_not_article")
            raise DropItem(f"not an article ({meta['type']}): {item['url']}")
        if words < self.min_words:
            stats.inc_value("hsctwatch/extract/dropped_too_short")
            raise DropItem(f"not an article (only {words} words of text): {item['url']}")
        self._fill(item, text, meta, story)
        stats.inc_value("hsctwatch/extract/articles")
        return item

    def _fill(self, item: Article, text: str, meta: dict[str, Any],
              story: Mapping[str, Any] | None = None) -> None:
        """The item's fields from its text and metadata; from the worker's `story` of the
        same text, where it made one (`read_and_judge`)."""
        story = story or _story_of(item, text, meta)
        item["attribution"] = story["attribution"]
        item["title"], text, item["summary"] = story["title"], story["text"], story["summary"]
        item["text"] = text
        # the worker's check, made for this very text, or made here
        check = meta.get("language") or language_of(item, item["title"], item["summary"], text,
                                                    meta).as_dict()
        meta["language"] = check
        item["language"] = check["code"]
        item["categories"] = categories(item.get("categories") or (), meta.get("categories") or ())
        if meta.get("alternates"):
            item["alternates"] = dict(meta["alternates"])
        self.crawler.stats.inc_value(f"hsctwatch/extract/language/{check['code'] or 'unknown'}")
        if not item.get("author") and meta.get("author"):
            item["author"] = clean_line(meta["author"])
        if not item.get("published"):
            item["published"] = meta.get("published")
        if not item.get("updated") and meta.get("modified"):
            item["updated"] = meta["modified"]
        item["rel_canonical"] = canonical_url(meta.get("canonical") or "")
        item["content_hash"] = story["content_hash"]
        item["metadata"] = {k: v for k, v in meta.items()
                            if k in ("type", "publisher", "section", "keywords", "site_name",
                                     "doi", "description", "record", "language", "alternates")}
        if item["categories"]:  # kept with the story, for `reprocess` to read them again
            item["metadata"]["categories"] = list(item["categories"])


def language_of(fields: Mapping[str, Any], title: str, summary: str, text: str,
                meta: Mapping[str, Any]) -> LanguageCheck:
    """The article's language: its text's, checked against what the page (<html lang>,
    og:locale, JSON-LD inLanguage) and the feed say (hsctwatch.language)."""
    declared = [*(meta.get("page_language") or []), fields.get("feed_language")]
    return decide(title, summary, text, declared)


def attribution_line(text: str) -> str:
    """The attribution line of a text ("First published on …", "Reproduced from …"): from the
    start of the sentence with the first cue to the end of that line. Found from the cue, not
    with one regex from every position (which backtracked quadratically on long texts)."""
    cue = _ATTRIBUTION_CUE.search(text)
    if cue is None:
        return ""
    start = max(text.rfind(".", 0, cue.start()), text.rfind("\n", 0, cue.start())) + 1
    end = text.find("\n", cue.end())
    return text[start:] if end < 0 else text[start:end]


def _story_of(fields: Mapping[str, Any], story: str, meta: Mapping[str, Any]) -> dict[str, Any]:
    """What the item's fields are made of its text (the page's, or the feed's when longer):
    the attribution, read from the text as written (a "continue reading at …" line goes with
    the footers), the title, text and summary as readers see them, and the text's hash."""
    title, text, summary = _story(fields, story, meta)
    return {"attribution": clean_line(attribution_line(story))[:500], "title": title, "text": text,
            "summary": summary, "content_hash": content_hash(text)}


def _main_text(fields: Mapping[str, Any], text: str) -> str:
    """The page's text; the feed's instead when it is longer; else the summary's."""
    feed_text = html_to_text(fields.get("content_html") or "")
    if feed_text and word_count(feed_text) > word_count(text):
        # the feed/API gave the full text, or the page was a shell around it
        text = feed_text
    if not text:
        text = html_to_text(fields.get("summary_html") or "")
    return text


def _story(fields: Mapping[str, Any], text: str, meta: Mapping[str, Any]) -> tuple[str, str, str]:
    """The item's title, text and summary, as readers will see them: the site's name out of the
    title, feed footers ("The post … appeared first on …", "Continue reading") out of both."""
    title = story_title(fields, meta)
    summary = html_to_text(fields.get("summary_html") or "") or meta.get("description") or ""
    text = without_feed_footer(_drop_leading_title(text, title))
    return title, text, clean_line(without_feed_footer(summary))


def story_title(fields: Mapping[str, Any], meta: Mapping[str, Any]) -> str:
    """The feed's or API's title, else the page's; without the site's name, which is found by
    comparing the page's <title> with its h1, og:title and JSON-LD headline."""
    title = clean_line(fields.get("title") or meta.get("title") or "")
    return without_site_name(title, list(meta.get("headlines") or ()), list(meta.get("site_names") or ()))


def read_and_judge(page: str, url: str, fields: Mapping[str, Any], min_words: int, rules_path: str | None,
                   digest: str, model_path: str | None = None
                   ) -> tuple[str, dict[str, Any], float, Judgement | None]:
    """In the worker: the page's text and metadata, the seconds they took, and the judgement
    of the story the item will most likely make (pipelines.relevance.judge), if it is kept."""
    started = time.perf_counter()
    text, meta = read_page(page, url)
    seconds = time.perf_counter() - started
    main = _main_text(fields, text)
    words = word_count(main)
    if fields.get("record_type"):
        story = main or fields.get("title") or ""
    elif words < min_words:
        return text, meta, seconds, None
    else:
        story = main
    # the fields the extract stage makes of the text, made here on the worker's core
    read = _story_of(fields, story, meta)
    title, body, summary = read["title"], read["text"], read["summary"]
    meta["story"] = {**read, "story": main, "words": words}
    meta["language"] = language_of(fields, title, summary, body, meta).as_dict()
    document = Document(title=title, summary=summary, text=body,
                        url=fields.get("canonical_url") or fields.get("url") or "",
                        categories=tuple(categories(fields.get("categories") or (),
                                                    meta.get("categories") or ())),
                        focus=fields.get("focus") or "", language=meta["language"]["code"])
    try:  # what the later stages would do with it; if anything fails, they do it themselves
        started = time.perf_counter()
        minhash = signature(body)  # for the dedup stage
        prints = None if minhash is None else fingerprints(body)
        shingles = None if minhash is None else shingled(body)
        hashed = time.perf_counter() - started
        hashvalues = None if minhash is None else minhash.hashvalues
        judgement = Judgement(document=document, signature=hashvalues, fingerprints=prints, shingled=shingles,
                              signature_seconds=hashed, **judge(rules_path, digest, document, model_path))
        return text, meta, seconds, judgement
    except Exception:  # noqa: BLE001 — the stage that needs it will raise it in its own name
        return text, meta, seconds, None


def read_page(page: str, url: str) -> tuple[str, dict[str, Any]]:
    """A page's main text and metadata (what the worker process does), from one parse of it."""
    tree = shared_tree(page)
    meta = page_metadata(page, url, tree)
    return page_text(page, url, tree), meta


def shared_tree(page: str) -> HtmlElement | None:
    """The page parsed once, as trafilatura parses it, for trafilatura, extruct, htmldate and
    our own selectors; None where that tree could read differently from the parse each of
    them makes of the page itself (parsel and extruct keep control characters and go deeper
    than 256 levels; parsel reads a page with an XML declaration as empty; lxml hands over a
    part of a page without <html> or <head>), for them to parse the page as they always did.
    Comments, which trafilatura's parse leaves out, are seen to where they are read."""
    if _UNSHARED.search(page, 0, 4096) or _has_control(page):
        return None
    tree = load_html(page)
    if tree is None or tree.getparent() is not None:
        return None
    if any(error.type == _TOO_DEEP for error in _TRAFILATURA_PARSER.error_log):
        return None
    return tree


def _has_control(page: str) -> bool:
    """`_CONTROL.search(page)`: on a page of ASCII (which holds no surrogate or non-character),
    str's own search for each control character, several times faster than the regex engine."""
    if page.isascii():
        return any(character in page for character in _ASCII_CONTROL)
    return _CONTROL.search(page) is not None


def page_text(page: str, url: str, tree: HtmlElement | None = None) -> str:
    """The main text of a page, boilerplate removed, one paragraph per block. trafilatura
    works on a copy of the tree it is given, which costs a third of parsing the page again."""
    document = trafilatura.bare_extraction(page if tree is None else tree, url=url, options=_options(url))
    if document is None:
        return ""
    text = getattr(document, "text", None) or ""
    return clean_paragraphs(text)


@functools.cache
def _extractor() -> Extractor:
    """trafilatura's options for every page: reading them from its configuration each time
    costs as much as a small page's extraction."""
    return Extractor(output_format="python", comments=False, tables=False, with_metadata=False,
                     precision=True)


def _options(url: str) -> Extractor:
    """What `bare_extraction(page, url=url, include_comments=False, include_tables=False,
    with_metadata=False, favor_precision=True)` would make of its arguments."""
    options = copy.copy(_extractor())
    options.url = url
    options.source = url.encode("utf-8", "replace").decode("utf-8") if url else None
    return options


# -- trafilatura's fallback, where it can change the answer ------------------------------------

#: The trafilatura whose fallback comparison (`trafilatura.external.compare_extraction`) the
#: shortcut below is written for, rule by rule; with any other version, it runs in full.
_FALLBACK_CHECKED = ("2.3.1",)
#: Elements whose text a parser may keep as it is written (no entities, no tags): readability's
#: output, parsed again, reads an escaped character of theirs ("&amp;" for "&") as five, and
#: an empty one (written "<xmp/>") may read the rest of that output as its text.
_RAW_TEXT = frozenset(("xmp", "noembed", "noframes", "plaintext", "noscript", "iframe", "textarea", "title"))
_RAW_ELEMENTS = XPath("|".join(f"//{tag}" for tag in sorted(_RAW_TEXT)))
#: The text readability may keep: all but that of the scripts and styles it drops.
_READABLE_TEXT = XPath("//text()[not(parent::script or parent::style)]", smart_strings=False)


def _compare_extraction(cleaned_tree: HtmlElement, raw_tree: HtmlElement, body: _Element, text: str,
                        options: Extractor) -> tuple[_Element, str]:
    """trafilatura's comparison of its own extraction with readability's and jusText's, run
    only where it can change the answer. Most pages give trafilatura's own extraction back: run
    in full, readability costs as much as the extraction itself (a third of a page's reading)."""
    if _keeps_own_extraction(raw_tree, body, text, options):
        return body, text
    return _FULL_COMPARISON(cleaned_tree, raw_tree, body, text, options)


def _keeps_own_extraction(raw_tree: HtmlElement, body: _Element, text: str, options: Extractor) -> bool:
    """Whether `compare_extraction` would give (body, text) back unchanged, whatever readability
    makes of the page, told from a bound on the length of readability's text. Its rules: jusText
    is tried on a text shorter than MIN_EXTRACTED_SIZE or with leftover boilerplate elements;
    readability's text replaces one less than half its length, or (when it is longer than twice
    MIN_EXTRACTED_SIZE) one without paragraph text or with more tables than paragraphs."""
    if options.focus == "recall" or len(text) < options.min_extracted_size:
        return False
    if body.xpath(trafilatura.external.SANITIZED_XPATH):
        return False
    most = _readability_bound(raw_tree, 2 * len(text))
    if most is None or most > 2 * len(text):
        return False
    deficient = not body.xpath(".//p//text()") or len(body.findall(".//table")) > len(body.findall(".//p"))
    return not deficient or most <= 2 * options.min_extracted_size


def _readability_bound(raw_tree: HtmlElement, limit: int) -> int | None:
    """At least the length of the text readability can find in the page, as trafilatura
    measures it (whitespace runs as one space), or more where that is below `limit` anyway.
    Readability drops and moves elements, never splits a text, and writes "VIDEO" in the
    iframe of a video (any other goes); its output is parsed again, which reads the text of a
    raw-text element escaped (`_RAW_TEXT`). None where that parse could read markup as text."""
    extra = len(raw_tree.tail or "") + 1  # which readability's output may end with, if it is all the page
    for element in _RAW_ELEMENTS(raw_tree):
        if len(element):  # the parser read what it holds as elements: it is no raw-text element
            continue
        if element.tag == "plaintext" or not (element.text or element.tag in ("iframe", "textarea")):
            return None
        extra += 4 * len(element.text or "") + 1 + (6 if element.tag == "iframe" else 0)
    texts = _READABLE_TEXT(raw_tree)
    most = sum(map(len, texts)) + len(texts) + extra  # a text with its whitespace as it is
    if most > limit:
        words = " ".join(texts).split()
        most = len("".join(words)) + len(words) + extra
    return most


_FULL_COMPARISON = trafilatura.external.compare_extraction
if trafilatura.__version__ in _FALLBACK_CHECKED:
    trafilatura.core.compare_extraction = _compare_extraction


def page_metadata(page: str, url: str, tree: HtmlElement | None = None) -> dict[str, Any]:
    """JSON-LD and Open Graph (extruct), rel=canonical, <time>, and htmldate as a last resort;
    read from the page's shared tree (`shared_tree`), else from parsel's parse of the page."""
    meta: dict[str, Any] = {}
    data = _structured(page, url, tree)
    article = _main_jsonld(data.get("json-ld") or [])
    og = (data.get("opengraph") or [{}])[0] if data.get("opengraph") else {}
    if article:
        meta["type"] = _first(article.get("@type"))
        meta["published"] = parse_date(_str(article.get("datePublished")))
        meta["modified"] = parse_date(_str(article.get("dateModified")))
        meta["author"] = _names(article.get("author"))
        meta["publisher"] = _names(article.get("publisher"))
        meta["section"] = _str(article.get("articleSection"))
        meta["keywords"] = _str(article.get("keywords"))
        meta["categories"] = _labels(article.get("articleSection")) + _labels(article.get("keywords"))
        meta["description"] = _str(article.get("description"))
    root = _parsel_root(page) if tree is None else tree
    headings = root if tree is None or not _COMMENTED_HEADING.search(page) else _parsel_root(page)
    meta.update(page_titles(root, article, og, data.get("json-ld") or [], headings))
    if not meta.get("description"):
        meta["description"] = _str(og.get("og:description")) or _first_of(_DESCRIPTION(root))
    meta["site_name"] = _str(og.get("og:site_name"))
    if not meta.get("type") and og.get("og:type") == "article":
        meta["type"] = "Article"
    canonical = _first_of(_CANONICAL(root)) or _str(og.get("og:url"))
    if canonical:
        meta["canonical"] = urljoin(url, canonical.strip())
    if not meta.get("published"):
        meta["published"] = parse_date(_first_of(_TIME(root))) or parse_date(_first_of(_PUBLISHED_TIME(root)))
    if not meta.get("published"):
        meta["published"] = parse_date(_htmldate(page, url, tree))
    if not meta.get("author"):
        meta["author"] = _first_of(_AUTHOR(root))
    meta["page_language"] = [_str(article.get("inLanguage")) if article else "",
                             _first_of(_LANG(root)), _str(og.get("og:locale"))]
    meta["alternates"] = alternates(root, url)
    doi = _first_doi(page)
    if doi:
        meta["doi"] = doi.group(0).rstrip(".,;)")
    return {k: v for k, v in meta.items() if v}


def _structured(page: str, url: str, tree: HtmlElement | None) -> dict[str, Any]:
    """What extruct reads of the page's JSON-LD and Open Graph; on the shared tree, only the
    syntaxes the page has (its own first step, finding their elements, costs little on a tree)."""
    if tree is None:
        source: str | HtmlElement = page
        syntaxes = ["json-ld", "opengraph"]
    else:
        source = tree
        markers = (("json-ld", _JSONLD), ("opengraph", _OPENGRAPH))
        syntaxes = [name for name, marker in markers if marker(tree)]
        if not syntaxes:
            return {}
    try:
        return extruct.extract(source, base_url=url, syntaxes=syntaxes, uniform=True)
    except Exception:  # extruct raises many kinds on broken markup; a page without metadata is fine
        return {}


def _htmldate(page: str, url: str, tree: HtmlElement | None) -> str | None:
    """htmldate's publication date: from the shared tree where the page has no comments
    (htmldate's own parse keeps them, and searches them for dates), else from the page."""
    source: str | HtmlElement = tree if tree is not None and not _COMMENT.search(page) else page
    try:
        return find_date(source, url=url, original_date=True, extensive_search=False,
                         outputformat="%Y-%m-%dT%H:%M:%S")
    except Exception:  # htmldate is best effort
        return None


def _parsel_root(page: str) -> Any:
    """The page as parsel parses it (its root element), for the selectors where the shared
    tree cannot stand for it."""
    return Selector(text=page, type="html").root


def _first_of(values: list[Any]) -> str:
    """parsel's `.get()`: the first of the values, as a string, or ""."""
    return str(values[0]) if values else ""


_DOI = re.compile(r"\b10\.\d{4,9}/[^\s\"<>]+")


def _first_doi(page: str) -> re.Match[str] | None:
    """`_DOI.search(page)`: tried only where "10." is, which str.find finds far faster than the
    regex engine tries every position of a long page."""
    at = page.find("10.")
    while at >= 0:
        found = _DOI.match(page, at)
        if found:
            return found
        at = page.find("10.", at + 1)
    return None


def alternates(root: Any, url: str) -> dict[str, str]:
    """The page's other language versions, by language: <link rel="alternate" hreflang="es"
    href="…">, the page's own and "x-default" left out."""
    found: dict[str, str] = {}
    for link in _ALTERNATES(root):
        code = primary(link.attrib.get("hreflang"))
        href = urljoin(url, (link.attrib.get("href") or "").strip())
        if code and href.startswith(("http://", "https://")) and canonical_url(href) != canonical_url(url):
            found.setdefault(code, href)
    return found


def _css(query: str) -> XPath:
    """A CSS selector as parsel would evaluate it: its own XPath translation, compiled once."""
    return XPath(css2xpath(query), smart_strings=False)


#: What the selectors read, on the shared tree or on parsel's parse alike.
_DESCRIPTION = _css('meta[name="description"]::attr(content)')
_CANONICAL = _css('link[rel="canonical"]::attr(href)')
_TIME = _css("article time::attr(datetime), time[datetime]::attr(datetime)")
_PUBLISHED_TIME = _css('meta[property="article:published_time"]::attr(content)')
_AUTHOR = _css('meta[name="author"]::attr(content)')
_LANG = XPath("/html/@lang", smart_strings=False)
_ALTERNATES = _css('link[rel~="alternate"][hreflang][href]')
_APPLICATION_NAMES = _css('meta[name="application-name"]::attr(content), '
                          'meta[name="apple-mobile-web-app-title"]::attr(content)')
_TITLE = _css("title::text")
_TEXT = _css("::text")
#: The page's own headings: not the logo or the site's name in the header, nor a sidebar's.
_HEADLINE_H1 = XPath("//h1[not(ancestor::nav or ancestor::footer or ancestor::aside)"
                     " and not(ancestor::header[not(ancestor::article or ancestor::main)])"
                     " and not(re:test(concat(@class, ' ', @id), 'logo|site-(title|name)|brand', 'i'))]",
                     namespaces={"re": "http://exslt.org/regular-expressions"})
#: Where extruct's JSON-LD and Open Graph readers look: a page with neither is not given to it.
_JSONLD = XPath('descendant-or-self::script[@type="application/ld+json"]')
_OPENGRAPH = XPath("//head/meta[@property and @content]")

#: What trafilatura's parse of a page reads differently from parsel's and extruct's, whatever
#: the rest: an XML declaration, and a self-closing <html/> (which each repairs in its own way).
_UNSHARED = re.compile(r"<\?xml|<html[^>]*/>", re.IGNORECASE)
#: Control characters (trafilatura removes them before parsing), and lone surrogates.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_ASCII_CONTROL = "".join(map(chr, [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)]))
#: Anything an HTML parser makes a comment of: <!-- -->, <!…>, <?…>, </ not before a tag name.
_COMMENT = re.compile(r"<!(?!doctype)|<\?|</(?![a-z])", re.IGNORECASE)
#: An h1 with something a parser makes a comment of before its end: parsel's parse keeps it,
#: and reads the text on either side of it as two pieces.
_COMMENTED_HEADING = re.compile(r"<h1\b(?:[^<]++|<(?=/?[a-z])(?!/h1))*+<(?!/?[a-z])", re.IGNORECASE)
#: trafilatura's parser, whose errors say whether it stopped at libxml2's limit of 256 levels.
_TRAFILATURA_PARSER = trafilatura.utils.HTML_PARSER
_TOO_DEEP = etree.ErrorTypes.ERR_RESOURCE_LIMIT


def page_titles(root: Any, article: Mapping[str, Any], og: Mapping[str, Any], jsonld: list[Any],
                headings: Any = None) -> dict[str, Any]:
    """The page's title (JSON-LD headline, else og:title, else <title>), and what the page
    calls its headline and itself elsewhere, for telling the site's name in a title
    (hsctwatch.scraped.without_site_name). `root` is the page's root element; `headings`, the
    one its h1s are read from, if another (parsel's parse, which keeps comments in them)."""
    headline = _str(article.get("headline") or article.get("name")) if article else ""
    og_title = clean_line(_str(og.get("og:title")))
    h1s = [clean_line(" ".join(_TEXT(h))) for h in _HEADLINE_H1(root if headings is None else headings)[:3]]
    if "&" in headline:  # JSON-LD written HTML-escaped ("It&#8217;s"): the h1 or og:title says how it reads
        decoded = clean_line(html.unescape(headline))
        headline = next((h for h in (og_title, *h1s) if h and h.casefold() == decoded.casefold()), headline)
    headline = clean_line(headline)
    names = [_str(og.get("og:site_name")), _names(article.get("publisher")) if article else ""]
    names += [_str(node.get("name")) for node in _flat_jsonld(jsonld)
              if {"WebSite", "Organization"} & set(_types(node))]
    names += [str(name) for name in _APPLICATION_NAMES(root)]
    title = headline or og_title or clean_line(_first_of(_TITLE(root)))
    return {"title": title, "headlines": [h for h in (headline, og_title, *h1s) if h],
            "site_names": sorted({clean_line(n) for n in names if n and n.strip()})}


def _types(node: Mapping[str, Any]) -> list[str]:
    types = node.get("@type")
    return [t for t in (types if isinstance(types, list) else [types]) if isinstance(t, str)]


def _flat_jsonld(items: list[Any]) -> list[dict[str, Any]]:
    """Every JSON-LD object of the page, those of a @graph included."""
    flat: list[dict[str, Any]] = []
    for node in items:
        if isinstance(node, dict) and isinstance(node.get("@graph"), list):
            flat.extend(n for n in node["@graph"] if isinstance(n, dict))
        elif isinstance(node, dict):
            flat.append(node)
    return flat


def _main_jsonld(items: list[Any]) -> dict[str, Any]:
    """The page's article object among its JSON-LD (which may be a @graph of several)."""
    flat = _flat_jsonld(items)
    for wanted in (ARTICLE_TYPES - {"WebPage"}, NOT_ARTICLE_TYPES, {"WebPage"}):
        for node in flat:
            types = node.get("@type")
            types = types if isinstance(types, list) else [types]
            if any(t in wanted for t in types):
                return node
    return {}


def _first(value: Any) -> str:
    if isinstance(value, list):
        return str(value[0]) if value else ""
    return str(value or "")


def _str(value: Any) -> str:
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value if isinstance(v, (str, int, float)))
    return str(value).strip() if isinstance(value, (str, int, float)) else ""


def _labels(value: Any) -> list[str]:
    """JSON-LD's articleSection or keywords as a list of labels: a list, or one string of
    comma-separated keywords (as schema.org allows)."""
    values = value if isinstance(value, list) else [value]
    return [label.strip() for v in values if isinstance(v, str) for label in v.split(",") if label.strip()]


def _names(value: Any) -> str:
    if isinstance(value, dict):
        return _str(value.get("name"))
    if isinstance(value, list):
        return ", ".join(n for n in (_names(v) for v in value) if n)
    return _str(value)


def _drop_leading_title(text: str, title: str) -> str:
    first, _, rest = text.partition("\n\n")
    if title and clean_line(first).lower() == title.lower():
        return rest
    return text

