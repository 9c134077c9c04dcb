"""Atom 1.0 (feedgen): copies of a story as rel="related" links, updates as <updated>."""

from __future__ import annotations

from collections.abc import Sequence

from lxml import etree

from feeds.common import author, body, generator, language, safe_url, title
from feeds.model import FeedItem, FeedMeta
from feeds.sanitize import clean_text

ATOM = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def atom_bytes(items: Sequence[FeedItem], meta: FeedMeta) -> bytes:
    fg = generator(meta, meta.base_url + "atom.xml", meta.title, meta.description, items)
    for item in items:
        entry = fg.add_entry(order="append")
        entry.id(item.guid)
        entry.title(title(item))
        entry.link(href=safe_url(item.link) or meta.base_url, rel="alternate")
        for copy in item.copies:
            if safe_url(copy.url):
                entry.link(href=safe_url(copy.url), rel="related", title=clean_text(copy.source_title))
        entry.published(item.published)
        entry.updated(item.updated or item.published)
        entry.author({"name": author(item, meta)})
        entry.content(body(item), type="html")
        for tag in item.tags:
            entry.category(term=tag.slug, scheme=tag.facet, label=tag.display)
    return _with_link_relations(fg.atom_str(pretty=True), items, meta)


def _with_link_relations(xml: bytes, items: Sequence[FeedItem], meta: FeedMeta) -> bytes:
    """feedgen 1.0 drops the rel of entry links (it shadows its own variable); put them back,
    so readers see the copies as rel="related" rather than as more alternates. And each
    entry says its language (xml:lang), which feedgen cannot."""
    root = etree.fromstring(xml)
    root.set(XML_LANG, meta.language)
    entries = root.findall(f"{{{ATOM}}}entry")
    for entry, item in zip(entries, items, strict=True):
        entry.set(XML_LANG, language(item, meta))
        rels = ["alternate"] + ["related" for c in item.copies if safe_url(c.url)]
        for link, rel in zip(entry.findall(f"{{{ATOM}}}link"), rels, strict=True):
            link.set("rel", rel)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
