"""feeds.opml: every feed of the folder in one OPML 2.0 file, grouped by facet, so a reader
subscribes to all of them — or to the ones it keeps after import — in one step.

The main feed is listed once, as RSS: its Atom and JSON Feed versions carry the same stories, and
an importer would subscribe to all three.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from lxml import etree

from feeds.model import FeedMeta, FeedTag
from feeds.sanitize import clean_text
from feeds.views import facet_name, facet_order, language_name

OPML_DOCS = "https://opml.org/spec2.opml"


def opml_bytes(meta: FeedMeta, feeds: Collection[str], tags: Mapping[FeedTag, int]) -> bytes:
    """``feeds`` are the feed files being written; ``tags`` the tags in use (for their labels)."""
    title = clean_text(meta.title)
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = f"{title}: every feed"
    etree.SubElement(head, "docs").text = OPML_DOCS
    body = etree.SubElement(root, "body")
    base = meta.base_url
    _group(body, base, "Everything", [("rss.xml", title, "index.html")])
    facets: dict[str, list[tuple[str, str, str]]] = {}
    for tag in sorted(tags, key=lambda t: clean_text(t.display).lower()):
        name = f"tags/{tag.slug}.xml"
        if name in feeds:
            label = clean_text(tag.display) or tag.slug
            facets.setdefault(tag.facet, []).append((name, f"{title} — {label}", f"tags/{tag.slug}.html"))
    for facet in sorted(facets, key=facet_order):
        _group(body, base, facet_name(facet), facets[facet])
    languages = sorted(f for f in feeds if f.startswith("lang/") and f.endswith(".xml"))
    _group(body, base, "Languages",
           [(name, f"{title} — {language_name(name[5:-4])}", name[:-4] + ".html") for name in languages])
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _group(body: etree._Element, base: str, text: str, feeds: list[tuple[str, str, str]]) -> None:
    """One outline per facet, holding one outline per feed: (file, title, page) in the folder
    published at ``base``."""
    if not feeds:
        return
    group = etree.SubElement(body, "outline", text=text, title=text)
    for name, title, page in feeds:
        etree.SubElement(group, "outline", type="rss", version="RSS2", text=title, title=title,
                         xmlUrl=base + name, htmlUrl=base + page)
