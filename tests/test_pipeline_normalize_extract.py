"""The normalize and extract stages on their own."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from hsctwatch.crawl.items import Article
from hsctwatch.urls import canonical_url, url_key
from pipelines.extract import ExtractPipeline
from pipelines.normalize import NormalizePipeline
from tests.conftest import FIXTURES

ARTICLE = ("https://multiplesclerosisnewstoday.com/news-posts/2026/03/10/"
           "ahsct-halts-disability-progression-aggressive-ms/")


@pytest.mark.parametrize("variant", [
    ARTICLE + "?utm_source=rss&utm_medium=rss&utm_campaign=ahsct",
    ARTICLE + "#comments",
    ARTICLE + "?replytocom=5512#respond",
    ARTICLE + "amp/",
    ARTICLE + "?amp=1",
    ARTICLE.replace("https://", "http://"),
    ARTICLE.replace("https://", "https://www."),
    ARTICLE.rstrip("/"),
    ARTICLE.replace("multiplesclerosisnewstoday", "MultipleSclerosisNewsToday"),
])
def test_url_variants_share_one_key(variant: str) -> None:
    assert url_key(variant) == url_key(ARTICLE)


def test_canonical_url_keeps_meaningful_parameters() -> None:
    assert canonical_url("https://ex.org/news.php?id=42&utm_source=x&fbclid=y") == \
        "https://ex.org/news.php?id=42"
    assert url_key("https://ex.org/news.php?id=42") != url_key("https://ex.org/news.php?id=43")
    assert canonical_url("https://ex.org/story.amp.html") == "https://ex.org/story.html"


def normalize(**fields: object) -> Article:
    crawler = get_crawler()
    return NormalizePipeline.from_crawler(crawler).process_item(Article(source="s", **fields))


def test_normalize_url_dates_and_whitespace() -> None:
    item = normalize(
        url=ARTICLE + "?utm_source=rss", title="  aHSCT &amp; MS:\n\t a  <em>study</em> ",
        published="Tue, 10 Mar 2026 15:45:00 +0200", updated="2026-03-11T08:12:00",
        author=" Marisa\u00a0Wexler ", guid="\x0b?p=1 ",
    )
    assert item["canonical_url"] == ARTICLE
    assert item["published"] == datetime(2026, 3, 10, 13, 45, tzinfo=UTC)
    assert item["updated"] == datetime(2026, 3, 11, 8, 12, tzinfo=UTC)
    assert item["title"] == "aHSCT & MS: a study"
    assert item["author"] == "Marisa Wexler"
    assert item["guid"] == "?p=1"


@pytest.mark.parametrize("bad", ["yesterday-ish", "0000-00-00", "2999-01-01T00:00:00Z", ""])
def test_normalize_refuses_invalid_dates(bad: str) -> None:
    assert normalize(url=ARTICLE, published=bad)["published"] is None


def test_normalize_takes_updated_when_no_published_date() -> None:
    item = normalize(url=ARTICLE, updated="2026-02-12T10:15:30-05:00")
    assert item["published"] == datetime(2026, 2, 12, 15, 15, 30, tzinfo=UTC)


def test_normalize_drops_non_http_urls() -> None:
    with pytest.raises(DropItem):
        normalize(url="javascript:alert(1)")


def extract(item: Article) -> Article:
    result = ExtractPipeline.from_crawler(get_crawler()).process_item(item)
    assert isinstance(result, Article), "outside a crawl's event loop the stage works in-process"
    return result


def page_item() -> Article:
    html = (FIXTURES / "pages/msnt-article.html").read_text(encoding="utf-8")
    item = normalize(url=ARTICLE + "?utm_source=rss", final_url=ARTICLE, page_html=html)
    return extract(item)


def test_extract_main_text_without_boilerplate() -> None:
    item = page_item()
    text = item["text"]
    assert text.startswith("Autologous hematopoietic stem cell transplant (aHSCT) stopped")
    assert "RAM-MS trial in Norway" in text
    for boilerplate in ("We use cookies", "Related articles", "Get the latest MS news",
                        "Does anyone know if the NHS", "I had HSCT in 2019", "3 comments",
                        "strictly a news and information website", "Subscribe"):
        assert boilerplate not in text
    assert "\n\n" in text  # paragraphs kept apart


def test_extract_metadata_from_json_ld_and_og() -> None:
    item = page_item()
    assert item["title"] == ("aHSCT halts disability progression in most patients with aggressive "
                             "MS, study finds")
    assert item["author"] == "Marisa Wexler"
    assert item["published"] == datetime(2026, 3, 10, 13, 45, tzinfo=UTC)
    assert item["updated"] == datetime(2026, 3, 11, 8, 12, tzinfo=UTC)
    assert item["rel_canonical"] == ARTICLE
    assert item["summary"].startswith("A Swedish registry study found")
    assert item["metadata"]["type"] == "NewsArticle"
    assert item["metadata"]["publisher"] == "Multiple Sclerosis News Today"
    assert item["metadata"]["site_name"] == "Multiple Sclerosis News Today"
    assert len(item["content_hash"]) == 64


def test_extract_adds_the_pages_keywords_and_section_to_the_posts_categories() -> None:
    """JSON-LD articleSection and keywords join what the feed or API said, without repeats, and
    are kept with the story (for reprocess)."""
    html = (FIXTURES / "pages/msnt-article.html").read_text(encoding="utf-8")
    item = extract(normalize(url=ARTICLE, final_url=ARTICLE, page_html=html, categories=["aHSCT", "Columns"]))
    assert item["categories"] == ["aHSCT", "Columns", "News", "aggressive MS", "stem cell transplant"]
    assert item["metadata"]["categories"] == item["categories"]
    keywords = html.replace('"keywords":["aHSCT","aggressive MS","stem cell transplant"]',
                            '"keywords":"HSCT, Moscow ,  ,Day by day"')
    assert keywords != html
    item = extract(normalize(url=ARTICLE, final_url=ARTICLE, page_html=keywords))
    assert item["categories"] == ["News", "HSCT", "Moscow", "Day by day"]


def test_extract_feed_content_when_no_page() -> None:
    content = "<p>" + "HSCT for relapsing MS was discussed at length. " * 20 + "</p>"
    item = extract(normalize(url=ARTICLE, title="T", content_html=content,
                             summary_html="<p>Short summary [&hellip;]</p>"))
    assert item["text"].startswith("HSCT for relapsing MS")
    assert item["summary"] == "Short summary…"
    assert item["rel_canonical"] == ""


def test_extract_finds_attribution_line() -> None:
    content = ("<p>" + "My HSCT in Moscow changed how I live with MS. " * 20 + "</p>"
               "<p><em>This column first appeared on MS News Daily on 2 March 2026; it is "
               "reproduced here with permission.</em></p>")
    item = extract(normalize(url=ARTICLE, title="T", content_html=content))
    assert item["attribution"].startswith("This column first appeared on MS News Daily")


@pytest.mark.parametrize("html", [
    "<html><body><h1>Events</h1><p>MS information day, Leeds, 3 May.</p></body></html>",
    '<html><head><script type="application/ld+json">{"@context":"https://schema.org",'
    '"@type":"CollectionPage","name":"Tag: HSCT"}</script></head><body><h1>Tag: HSCT</h1>'
    + "<ul>" + "<li><a href='/a'>HSCT story</a> A short teaser about a story.</li>" * 12
    + "</ul></body></html>",
    "<html><body><form><p>Please log in to read this article.</p><input name=u></form></body></html>",
])
def test_extract_drops_pages_that_are_not_articles(html: str) -> None:
    crawler = get_crawler()
    pipeline = ExtractPipeline.from_crawler(crawler)
    with pytest.raises(DropItem, match="not an article"):
        pipeline.process_item(normalize(url="https://ex.org/tag/hsct/", page_html=html))


def test_the_page_s_language_and_its_other_language_versions_are_read() -> None:
    """What the page says of its language (<html lang>, og:locale, JSON-LD inLanguage) and its
    translations (<link rel="alternate" hreflang>, not itself or x-default) go with the article;
    its language is then told from its text and checked against them."""
    from pipelines.extract import ExtractPipeline, page_metadata

    url = "https://news.example.org/es/2026/03/registro/"
    page = f"""<!DOCTYPE html><html lang="es-ES"><head><title>Registro</title>
<meta property="og:locale" content="es_ES">
<link rel="alternate" hreflang="es" href="{url}">
<link rel="alternate" hreflang="pt-BR" href="/pt/2026/03/registro/">
<link rel="alternate" hreflang="x-default" href="https://news.example.org/">
<script type="application/ld+json">{{"@type": "NewsArticle", "headline": "Registro", "inLanguage": "es",
 "keywords": "Esclerosis múltiple, TAPH"}}</script></head>
<body><article><h1>Registro</h1><p>{"El trasplante autólogo de progenitores hematopoyéticos frena la "
"esclerosis múltiple en la mayoría de los pacientes del registro latinoamericano. " * 8}</p></article>
</body></html>"""
    meta = page_metadata(page, url)
    assert meta["page_language"] == ["es", "es-ES", "es_ES"]
    assert meta["alternates"] == {"pt": "https://news.example.org/pt/2026/03/registro/"}
    crawler = get_crawler(settings_dict={"HSCTWATCH_WORKERS": 0})
    crawler.stats.open_spider()
    item = ExtractPipeline.from_crawler(crawler).process_item(
        Article(url=url, canonical_url=url, source="news", page_html=page, feed_language="en"))
    assert isinstance(item, Article)
    assert item["language"] == "es"  # the feed said English; the page and its text say Spanish
    assert item["alternates"] == {"pt": "https://news.example.org/pt/2026/03/registro/"}
    assert item["categories"] == ["Esclerosis múltiple", "TAPH"]
    assert item["metadata"]["language"]["declared"] == "es"
    assert crawler.stats.get_value("hsctwatch/extract/language/es") == 1


# -- one parse of each page ---------------------------------------------------------------------

_SENTENCE = "Autologous stem cell transplantation halted relapses in the trial participants. "
_BODY = f"<p>{_SENTENCE * 12}</p>"
_HEAD = ("<title>Trial results | MS News</title><meta name='description' content='The results.'>"
         "<link rel='canonical' href='/news/trial/'><meta name='author' content='A. Writer'>")
_JSONLD = ('<script type="application/ld+json">{"@type":"NewsArticle","headline":"Trial results",'
           '"datePublished":"2024-02-03T10:00:00Z","publisher":{"name":"MS News"}}</script>')
_OG = ('<meta property="og:title" content="Trial results"><meta property="og:site_name" content="MS News">'
       '<meta property="og:type" content="article"><meta property="og:locale" content="en_GB">')
#: Pages whose parses differ between trafilatura (no comments, no control characters, at most 256
#: levels deep) and parsel or extruct, and pages with and without each kind of metadata.
PAGES = {
    "json-ld and open graph": f"<!DOCTYPE html>\n<html lang='en'><head>{_HEAD}{_JSONLD}{_OG}</head><body>"
                              f"<article><h1>Trial results</h1>{_BODY}</article></body></html>",
    "no metadata": f"<html><body><h1>Trial results</h1>{_BODY}</body></html>",
    "only open graph": f"<html><head>{_OG}</head><body>{_BODY}</body></html>",
    "json-ld in the body": f"<html><head><title>T</title></head><body>{_JSONLD}{_BODY}</body></html>",
    "comment in the h1": f"<html><head>{_HEAD}</head><body><h1>Trial<!-- -->results</h1>{_BODY}"
                         "</body></html>",
    "react's comments": f"<html><head>{_HEAD}{_OG}</head><body><h1>Trial results<!-- --> | <!-- -->MS News"
                        f"</h1>{_BODY}</body></html>",
    "bogus comments in h1s": f"<html><head>{_HEAD}</head><body><h1>A<?php x ?>B</h1><h1>C</ d>D</h1>{_BODY}"
                             "</body></html>",
    "a date in a comment": f"<html><head><title>T</title></head><body><!-- cached 2022-01-02 03:04:05 -->"
                           f"{_BODY}<p>Published 3 March 2021</p></body></html>",
    "a date in the text": f"<html><head><title>T</title></head><body>{_BODY}<p>Posted on 2021-05-06</p>"
                          "</body></html>",
    "control characters": f"<html><head><title>Trial\x0bresults</title><meta name='description' "
                          f"content='a\x01b'></head><body><h1>A\x0cB</h1>{_BODY}</body></html>",
    "300 levels deep": "<html><head><title>T</title></head><body>" + "<div>" * 300
                       + f"<h1>Deep</h1><time datetime='2024-01-01'></time>{_BODY}"
                       + "</div>" * 300 + "</body></html>",
    "an xml declaration": "<?xml version='1.0' encoding='utf-8'?><html lang='de'>"
                          f"<head>{_HEAD}{_JSONLD}</head><body>{_BODY}</body></html>",
    "a fragment": f"<div>{_BODY}{_JSONLD}</div>",
    "upper case": f"<HTML LANG='ES'><HEAD><TITLE>T</TITLE><META NAME='author' CONTENT='Ana'></HEAD>"
                  f"<BODY><H1>T</H1>{_BODY}</BODY></HTML>",
}


@pytest.mark.parametrize("name", PAGES)
def test_one_parse_of_the_page_reads_as_each_library_s_own(name: str) -> None:
    """The text and metadata read from the page's one shared tree are those trafilatura,
    extruct, htmldate and parsel find parsing the page each on its own; a page whose parses
    would differ is read the old way."""
    from pipelines.extract import page_metadata, page_text, shared_tree

    page, url = PAGES[name], "https://news.example.org/news/trial/"
    tree = shared_tree(page)
    assert page_metadata(page, url, tree) == page_metadata(page, url)
    assert page_text(page, url, tree) == page_text(page, url)
    shared = name not in ("control characters", "300 levels deep", "an xml declaration", "a fragment")
    assert (tree is not None) == shared


def test_a_page_of_json_is_read_as_a_page_without_text() -> None:
    """A page that is JSON (an API's answer where a page was expected): no text, no crash."""
    from pipelines.extract import read_page

    text, meta = read_page('{"json": true}', "https://news.example.org/api/")
    assert (text, meta) == ("", {"page_language": ["", "", ""]})


# -- trafilatura's fallback, run where it can change the answer -----------------------------------

_LONG = f"<p>{_SENTENCE * 12}</p><p>{_SENTENCE * 9}</p>"
_LINKS = "<ul>" + "".join(f"<li><a href='/n/{n}/'>Another story {n}</a></li>" for n in range(30)) + "</ul>"
#: Pages where readability's or jusText's text could win, and pages where it cannot.
FALLBACK_PAGES = {
    "a long article": f"<html><head>{_HEAD}</head><body><nav>{_LINKS}</nav><article><h1>Trial</h1>{_LONG}"
                      "</article><footer>Copyright</footer></body></html>",
    "a short text": f"<html><body><article><p>{_SENTENCE}</p></article></body></html>",
    "text in divs beside a short article": f"<html><body><article><p>{_SENTENCE * 2}</p></article>"
                                           f"<div class='story'><div>{_SENTENCE * 20}</div></div>"
                                           "</body></html>",
    "a table of text": f"<html><body><article><table><tr><td>{_SENTENCE * 8}</td></tr><tr><td>"
                       f"{_SENTENCE * 8}</td></tr></table><p>{_SENTENCE}</p></article></body></html>",
    "a figure in the text": f"<html><body><article>{_LONG}<figure><img src='a.jpg'><figcaption>A chart"
                            "</figcaption></figure></article></body></html>",
    "a video": f"<html><body><article>{_LONG}<iframe src='https://www.youtube.com/embed/x'></iframe>"
               "</article></body></html>",
    "raw text with markup in it": f"<html><body><article>{_LONG}<xmp>if a < b && c > d</xmp>"
                                  "<iframe>&lt;p&gt;fallback&lt;/p&gt;</iframe></article></body></html>",
    "an empty noscript": f"<html><body><noscript></noscript><article>{_LONG}</article></body></html>",
    "a noscript image": f"<html><body><noscript><img src='p.gif'></noscript><article>{_LONG}</article>"
                        "</body></html>",
    "plaintext": f"<html><body><article>{_LONG}</article><plaintext>rest</body></html>",
    "a sidebar longer than the article": f"<html><body><article><p>{_SENTENCE * 4}</p></article>"
                                         f"<div class='entry'><p>{_SENTENCE * 9}</p><p>{_SENTENCE * 9}</p>"
                                         "</div></body></html>",
    # readability's text wins: trafilatura reads the <main>, the article is beside it
    "the text beside the main element": f"<html><body><main><p>{_SENTENCE * 2}</p></main><section>"
                                        f"<p>{_SENTENCE * 10}</p><p>{_SENTENCE * 10}</p>"
                                        f"<p>{_SENTENCE * 10}</p></section></body></html>",
}


@pytest.mark.parametrize("name", [*FALLBACK_PAGES, "news-page1.html", "news-page2.html", "redesigned.html"])
def test_trafilatura_s_fallback_is_skipped_only_where_it_would_change_nothing(
        name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """trafilatura compares its text with readability's and jusText's; the comparison is run
    only where it can change the answer, which is always the full comparison's."""
    import trafilatura.core

    from pipelines import extract

    page = FALLBACK_PAGES.get(name) or (FIXTURES / "html" / name).read_text(encoding="utf-8")
    url = "https://news.example.org/news/trial/"
    full_runs: list[bool] = []
    full = extract._FULL_COMPARISON

    def counted(*args: object) -> object:
        full_runs.append(True)
        return full(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(extract, "_FULL_COMPARISON", counted)
    read = extract.page_text(page, url, extract.shared_tree(page)), extract.page_text(page, url)
    monkeypatch.setattr(trafilatura.core, "compare_extraction", full)
    assert read == (extract.page_text(page, url, extract.shared_tree(page)), extract.page_text(page, url))
    if trafilatura.__version__ in extract._FALLBACK_CHECKED and name == "a long article":
        assert not full_runs  # the common case: readability cannot have more to say
    if name in ("a short text", "a table of text", "plaintext", "an empty noscript",
                "the text beside the main element"):
        assert full_runs


_FEED_TEXT = "<p>" + "The registry followed every transplanted patient for five years. " * 30 + "</p>"


@pytest.mark.parametrize("fields", [
    {},
    {"content_html": _FEED_TEXT, "summary_html": "<p>The registry's results.</p> [&#8230;]"},
    {"title": "Registry | MS News", "summary_html": "<p>Read the results.</p><p>Continue reading →</p>"},
    {"record_type": "paper", "title": "A paper", "record": {"pmid": "1"}},
], ids=["a page", "the feed's longer text", "a feed title and summary", "a record"])
def test_the_worker_s_reading_of_the_text_makes_the_item_the_crawl_would(fields: dict[str, Any]) -> None:
    """The worker makes the item's title, text, summary, attribution and hash of the text with
    its reading of the page; the item is the one the crawl's own process makes of the page."""
    from pipelines.extract import read_and_judge, read_page

    page = (FIXTURES / "pages" / "msnt-article.html").read_text(encoding="utf-8")
    items = []
    for worker in (True, False):
        crawler = get_crawler(settings_dict={"HSCTWATCH_WORKERS": 0})
        crawler.stats.open_spider()
        item = Article(url=ARTICLE, canonical_url=ARTICLE, source="msnews", page_html=page, **fields)
        if worker:
            text, meta, _, _ = read_and_judge(page, ARTICLE, dict(item), 80, None, "")
            assert "story" in meta
        else:
            text, meta = read_page(page, ARTICLE)
        items.append(dict(ExtractPipeline.from_crawler(crawler)._finish(item, text, meta)))
    assert items[0] == items[1]
    assert items[0]["text"] and items[0]["content_hash"]
