"""The readable site and the OPML file the feed build writes beside the feeds, read back as HTML
and XML: what each page shows, that every link goes somewhere, that scraped text stays text and
nothing runs, and that the pages are built to be read with a screen reader and a keyboard."""

from __future__ import annotations

import posixpath
import re
from datetime import timedelta
from pathlib import Path, PurePosixPath
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from lxml import etree, html

from feeds import FeedCopy, FeedItem, FeedMeta, FeedTag, write_feeds
from feeds.site import site_files
from tests.test_feeds import HOSTILE, META, T0, item

PPMS = FeedTag("ms-type", "ppms", "Primary progressive MS")
TRIAL = FeedTag("type", "trial", "Clinical trial")
HOSTILE_TAG = FeedTag("topic", "costs", 'Cost <b onmouseover="x()">and</b> funding')
EMAIL_META = FeedMeta(title="HSCT for MS", description="News on aHSCT for MS.", base_url="https://example.org/hsct/",
                      email="mailto:digest@example.org", email_tags=("ppms",))


def stories() -> list[FeedItem]:
    return [
        item(1),
        item(2, title="MIST at ten years", tags=(TRIAL, PPMS), author="Jane Roe",
             copies=(FeedCopy("https://blog.example.net/copy/", "A patient blog"),),
             see_also=(FeedCopy("https://doi.org/10.1000/x", "the paper: Ten years of MIST"),),
             note="Status changed: recruiting → completed"),
        item(3, title=HOSTILE, summary=HOSTILE, link="javascript:alert(1)", source_title=HOSTILE,
             tags=(HOSTILE_TAG,), copies=(FeedCopy("javascript:alert(2)", "evil"),)),
        item(4, title="Trasplante autólogo en la esclerosis múltiple", language="es", tags=(PPMS,)),
    ]


@pytest.fixture
def site(tmp_path: Path) -> Path:
    write_feeds(stories(), EMAIL_META, tmp_path)
    return tmp_path


def page(folder: Path, name: str) -> html.HtmlElement:
    return html.fromstring((folder / name).read_bytes())


def pages(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*.html"))


def test_the_site_has_an_index_a_page_per_tag_and_per_language(site: Path) -> None:
    assert pages(site) == ["index.html", "lang/en.html", "lang/es.html", "tags/costs.html", "tags/ppms.html",
                           "tags/research.html", "tags/rrms.html", "tags/trial.html"]
    index = page(site, "index.html")
    titles = [h.text_content() for h in index.cssselect("article h3")]
    assert len(titles) == 4  # newest first
    assert titles[0] == "Trasplante autólogo en la esclerosis múltiple" and titles[2] == "MIST at ten years"
    ppms = page(site, "tags/ppms.html")
    assert ppms.cssselect("h1")[0].text_content() == "Primary progressive MS"
    assert [h.text_content() for h in ppms.cssselect("article h3")] == [
        "Trasplante autólogo en la esclerosis múltiple", "MIST at ten years"]
    spanish = page(site, "lang/es.html")
    assert spanish.cssselect("h1")[0].text_content() == "In Spanish (español)"
    assert [h.text_content() for h in spanish.cssselect("article h3")] == [
        "Trasplante autólogo en la esclerosis múltiple"]
    # a screen reader reads the Spanish story in Spanish
    assert [a.get("lang") for a in index.cssselect("article")] == ["es", None, None, None]
    topics = {a.text_content(): a.get("href") for a in index.cssselect("#topics ul.topics a[href$='.html']")}
    assert topics["Primary progressive MS"] == "tags/ppms.html"
    assert topics["Spanish (español)"] == "lang/es.html"


def test_a_story_shows_what_a_reader_needs(site: Path) -> None:
    index = page(site, "index.html")
    mist = next(a for a in index.cssselect("article") if "MIST" in a.text_content())
    headline = mist.cssselect("h3 a")[0]
    assert headline.get("href") == "https://news.example.org/story-2/"  # the original publisher
    meta = mist.cssselect("p.meta")[0].text_content()
    assert meta == "MS News Daily · by Jane Roe · 3 March 2026"
    assert mist.cssselect("time")[0].get("datetime") == "2026-03-03"
    assert mist.cssselect("p.note")[0].text_content() == "Status changed: recruiting → completed"
    assert mist.cssselect("p.excerpt")[0].text_content().startswith("Autologous HSCT halted relapsing MS")
    chips = [(a.text_content(), a.get("href")) for a in mist.cssselect("ul.chips a")]
    assert chips == [("Clinical trial", "tags/trial.html"), ("Primary progressive MS", "tags/ppms.html")]
    also = mist.cssselect("p.also")
    assert also[0].text_content() == "Also published at: A patient blog"
    assert also[0].cssselect("a")[0].get("href") == "https://blog.example.net/copy/"
    assert also[1].cssselect("a")[0].get("href") == "https://doi.org/10.1000/x"
    # on a page one folder down, the chips still find their pages
    chip = page(site, "tags/ppms.html").cssselect("article ul.chips a")[0]
    assert chip.get("href") == "../tags/ppms.html"


def test_scraped_text_stays_text_and_nothing_runs(site: Path) -> None:
    for name in pages(site):
        doc = page(site, name)
        assert doc.cssselect("script, img, iframe, object, embed, form") == [], name
        for element in doc.iter():
            if not isinstance(element.tag, str):
                continue
            assert not any(a.startswith("on") for a in element.attrib), (name, element.tag)
            assert "style" not in element.attrib, (name, element.tag)  # the site's CSP allows no inline style
            for attr in ("href", "src", "action"):
                assert not element.get(attr, "").strip().lower().startswith(("javascript:", "data:")), name
        text = (site / name).read_text(encoding="utf-8").lower()
        assert "<script" not in text and "onerror" not in text and "onmouseover" not in text, name
    articles = page(site, "index.html").cssselect("article")
    hostile = next(a for a in articles if "Stem cells" in a.text_content())
    assert hostile.cssselect("h3 a") == []  # a javascript: link is no link at all
    assert [a.text_content() for a in hostile.cssselect("ul.chips a")] == ["Cost and funding"]
    assert hostile.cssselect("p.also") == []


def test_every_link_on_the_site_goes_somewhere(site: Path) -> None:
    for name in pages(site):
        doc = page(site, name)
        ids = {e.get("id") for e in doc.iter() if isinstance(e.tag, str) and e.get("id")}
        for _element, _attribute, target, _ in doc.iterlinks():
            scheme = urlsplit(target).scheme
            if scheme in ("http", "https", "mailto"):
                continue
            assert not scheme, (name, target)
            path, _, fragment = target.partition("#")
            if not path:
                assert fragment in ids, (name, target)
                continue
            resolved = (PurePosixPath(name).parent / unquote(path)).as_posix()
            assert (site / resolved).resolve().is_file(), (name, target)


def test_each_page_offers_its_own_feed(site: Path) -> None:
    for name, feed, formats in [("index.html", "rss.xml", 3), ("tags/ppms.html", "tags/ppms.xml", 1),
                                ("lang/es.html", "lang/es.xml", 1)]:  # each language has its own feed
        doc = page(site, name)
        links = doc.cssselect("head link[rel=alternate]")
        assert len(links) == formats
        assert links[0].get("type") == "application/rss+xml"
        assert posixpath.normpath(posixpath.join(posixpath.dirname(name), links[0].get("href"))) == feed
        box = doc.cssselect("aside#subscribe")[0]
        assert box.cssselect("input#feed-address")[0].get("value") == "https://example.org/hsct/" + feed
        assert box.cssselect("label[for=feed-address]")
        assert [a.get("href") for a in box.cssselect("a[download]")] == [
            ("../" if "/" in name else "") + "feeds.opml"]
    index = page(site, "index.html")
    assert [x.get("href") for x in index.cssselect("head link[rel=alternate]")] == ["rss.xml", "atom.xml",
                                                                                   "feed.json"]


def test_the_subscribe_box_asks_for_the_digest_in_one_step(site: Path,
                                                           tmp_path_factory: pytest.TempPathFactory) -> None:
    def email_link(name: str) -> tuple[str, str]:
        link = page(site, name).cssselect("aside#subscribe a[href^='mailto:']")[0].get("href")
        parts = urlsplit(link)
        return parts.path, parse_qs(parts.query)["subject"][0]

    assert email_link("index.html") == ("digest@example.org", "Subscribe to the HSCT for MS email digest")
    # a tag with a list of its own asks for that list; another tag for the digest of everything
    assert email_link("tags/ppms.html") == (
        "digest@example.org", "Subscribe to the HSCT for MS email digest: Primary progressive MS")
    assert email_link("tags/trial.html")[1] == "Subscribe to the HSCT for MS email digest"
    without = tmp_path_factory.mktemp("no-digest")
    write_feeds(stories(), META, without)  # no [digest]: no email offer
    box = page(without, "index.html").cssselect("aside#subscribe")[0]
    assert box.cssselect("a[href^='mailto:']") == [] and "By email" not in box.text_content()


def test_pages_are_built_for_screen_readers_and_keyboards(site: Path) -> None:
    for name in pages(site):
        doc = page(site, name)
        assert doc.get("lang") == "en"
        assert doc.cssselect("head meta[name=viewport]"), name
        assert doc.cssselect("head title")[0].text_content().strip(), name
        assert len(doc.cssselect("body > header")) == 1 and len(doc.cssselect("main#main")) == 1, name
        assert doc.cssselect("nav[aria-label]") and doc.cssselect("aside[aria-labelledby]"), name
        assert len(doc.cssselect("body > footer")) == 1, name
        first_link = doc.cssselect("body a")[0]
        assert first_link.get("href") == "#main" and first_link.get("class") == "skip", name
        levels = [int(h.tag[1]) for h in doc.iter("h1", "h2", "h3", "h4", "h5", "h6")]
        assert levels[0] == 1 and levels.count(1) == 1, name
        assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), (name, levels)
        for link in doc.cssselect("a"):
            assert link.text_content().strip(), (name, link.get("href"))  # no empty links
        for field in doc.cssselect("input"):
            assert doc.cssselect(f"label[for={field.get('id')}]"), name


def test_site_files_link_a_language_feed_when_there_is_one() -> None:
    items = stories()
    meta = FeedMeta(title="HSCT for MS", description="d", base_url="https://example.org/hsct/")
    files = site_files(items, meta, {}, {}, ["rss.xml", "atom.xml", "feed.json", "lang/es.xml"])
    spanish = html.fromstring(files["lang/es.html"])
    assert [x.get("href") for x in spanish.cssselect("head link[rel=alternate]")] == ["../lang/es.xml"]
    assert spanish.cssselect("#feed-address")[0].get("value") == "https://example.org/hsct/lang/es.xml"
    english = html.fromstring(files["lang/en.html"])  # English has no feed of its own here
    assert [x.get("href") for x in english.cssselect("head link[rel=alternate]")] == ["../rss.xml"]


# -- OPML -----------------------------------------------------------------------------------------


def test_opml_lists_every_feed_grouped_by_facet(site: Path) -> None:
    root = etree.parse(str(site / "feeds.opml")).getroot()
    assert root.tag == "opml" and root.get("version") == "2.0"
    assert root.findtext("head/title") == "HSCT for MS: every feed"
    assert root.findtext("head/docs") == "https://opml.org/spec2.opml"
    groups = root.findall("body/outline")
    assert [g.get("text") for g in groups] == ["Everything", "Type of article", "Form of MS", "Topic",
                                               "Languages"]
    feeds = [o for g in groups for o in g.findall("outline")]
    for outline in feeds:  # OPML 2.0: every outline has text; a subscription has type and xmlUrl
        assert outline.get("type") == "rss" and outline.get("text") and outline.get("title")
        assert outline.get("xmlUrl", "").startswith("https://example.org/hsct/")
        assert (site / outline.get("xmlUrl", "")[len("https://example.org/hsct/"):]).is_file()
        assert (site / outline.get("htmlUrl", "")[len("https://example.org/hsct/"):]).is_file()
    listed = sorted(o.get("xmlUrl", "").rsplit("/hsct/", 1)[1] for o in feeds)
    written = sorted(str(p.relative_to(site)) for p in site.rglob("*.xml"))
    assert listed == [f for f in written if f not in ("atom.xml",)]  # Atom and JSON: the main feed again
    form = next(g for g in groups if g.get("text") == "Form of MS")
    assert [(o.get("text"), o.get("xmlUrl")) for o in form] == [
        ("HSCT for MS — Primary progressive MS", "https://example.org/hsct/tags/ppms.xml"),
        ("HSCT for MS — Relapsing MS", "https://example.org/hsct/tags/rrms.xml")]
    topic = next(g for g in groups if g.get("text") == "Topic")
    assert topic[0].get("text") == "HSCT for MS — Cost and funding"  # the label made text


def test_opml_has_a_language_group_once_there_are_language_feeds() -> None:
    from feeds.opml import opml_bytes

    data = opml_bytes(META, ["rss.xml", "lang/en.xml", "lang/es.xml"], {})
    root = etree.fromstring(data)
    languages = root.findall("body/outline")[-1]
    assert languages.get("text") == "Languages"
    assert [(o.get("text"), o.get("htmlUrl")) for o in languages] == [
        ("HSCT for MS — English", "https://example.org/hsct/lang/en.html"),
        ("HSCT for MS — Spanish (español)", "https://example.org/hsct/lang/es.html")]


def test_an_unchanged_build_leaves_the_site_alone(site: Path) -> None:
    report = write_feeds(stories(), EMAIL_META, site)
    assert report.changed == []
    later = stories() + [item(9, title="A new story", published=T0 + timedelta(days=30))]
    report = write_feeds(later, EMAIL_META, site)
    assert "index.html" in report.changed and "tags/ppms.html" not in report.changed
    assert re.search(r"<h3><a [^>]*>A new story</a></h3>", (site / "index.html").read_text(encoding="utf-8"))
