"""The readable site written beside the feeds: the latest stories on `index.html`, a page per tag
(`tags/<slug>.html`) and per language (`lang/<code>.html`), for people who have never used a
feed reader.

Each page carries its feed's autodiscovery link and a "subscribe" box (the feed's address, the
OPML file of every feed, the email digest). Plain HTML and one stylesheet: no JavaScript, so it
reads the same from a web server, from `file://` and in a text browser. Jinja2 escapes every
value; the values are plain text already (`feeds.views`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from urllib.parse import quote

from jinja2 import Environment, FileSystemBytecodeCache, PackageLoader, select_autoescape
from jinja2.bccache import Bucket
from markupsafe import Markup

from feeds.common import newest
from feeds.model import SAFE_SLUG, FeedItem, FeedMeta, FeedTag
from feeds.sanitize import clean_text
from feeds.views import (
    StoryView,
    facet_name,
    facet_order,
    item_language,
    language_name,
    readable_date,
    story_view,
)

STYLESHEET = "site.css"


@dataclass(frozen=True)
class Page:
    """One page of the site: where it is, what it lists and which feed it offers."""

    path: str  # e.g. "tags/ppms.html"
    title: str
    heading: str
    intro: str
    feed: str  # the feed file of the same stories, e.g. "tags/ppms.xml"
    feed_title: str
    formats: tuple[tuple[str, str, str], ...] = ()  # (label, file, MIME type) of other formats
    email_subject: str = ""
    email_note: str = ""
    stories: Sequence[FeedItem] = field(default_factory=tuple)

    @property
    def root(self) -> str:
        """The way back to the folder's top from this page, for relative links."""
        return "../" * self.path.count("/")


def site_files(top: Sequence[FeedItem], meta: FeedMeta, tag_items: Mapping[FeedTag, Sequence[FeedItem]],
               tag_totals: Mapping[FeedTag, int], feeds: Collection[str],
               languages: Mapping[str, Sequence[FeedItem]] | None = None) -> dict[str, bytes]:
    """Every page of the site and its stylesheet, by path. ``top`` and each of ``tag_items`` are
    the stories of the matching feed, newest first; ``feeds`` the feed files being written;
    ``languages`` the stories of each language's feed (else the main feed's, by language)."""
    by_language = {code: list(items) for code, items in languages.items()} if languages is not None \
        else _languages(top, meta)
    renderer = _Renderer(meta, tag_totals, by_language, feeds)
    pages = [_index_page(top, meta)]
    for tag, members in sorted(tag_items.items(), key=lambda tm: tm[0].slug):
        if SAFE_SLUG.match(tag.slug):
            pages.append(_tag_page(tag, members, meta))
    for code, members in renderer.languages.items():
        pages.append(_language_page(code, members, meta, feeds))
    files = {page.path: renderer.page(page) for page in pages}
    files[STYLESHEET] = resources.files("feeds").joinpath("templates/site/site.css").read_bytes()
    return files


def _index_page(top: Sequence[FeedItem], meta: FeedMeta) -> Page:
    return Page(
        path="index.html", title=clean_text(meta.title), heading=clean_text(meta.title),
        intro=clean_text(meta.description), feed="rss.xml", feed_title=clean_text(meta.title),
        formats=(("Atom", "atom.xml", "application/atom+xml"),
                 ("JSON Feed", "feed.json", "application/feed+json")),
        email_subject=f"Subscribe to the {clean_text(meta.title)} email digest",
        email_note="Every new story, grouped by type, in one email.",
        stories=top,
    )


def _tag_page(tag: FeedTag, members: Sequence[FeedItem], meta: FeedMeta) -> Page:
    label = clean_text(tag.display) or tag.slug
    own_list = tag.slug in meta.email_tags
    return Page(
        path=f"tags/{tag.slug}.html", title=f"{label} · {clean_text(meta.title)}", heading=label,
        intro=f"Stories tagged “{label}” ({facet_name(tag.facet)}), newest first.",
        feed=f"tags/{tag.slug}.xml", feed_title=f"{clean_text(meta.title)} — {label}",
        email_subject=(f"Subscribe to the {clean_text(meta.title)} email digest: {label}" if own_list
                       else f"Subscribe to the {clean_text(meta.title)} email digest"),
        email_note=(f"New stories tagged “{label}”, in one email." if own_list
                    else "Every new story (all topics), grouped by type, in one email."),
        stories=members,
    )


def _language_page(code: str, members: Sequence[FeedItem], meta: FeedMeta, feeds: Collection[str]) -> Page:
    name = language_name(code)
    own_feed = f"lang/{code}.xml"
    feed = own_feed if own_feed in feeds else "rss.xml"  # before there are feeds per language
    return Page(
        path=f"lang/{code}.html", title=f"In {name} · {clean_text(meta.title)}", heading=f"In {name}",
        intro=f"Stories written in {name}, newest first.", feed=feed,
        feed_title=clean_text(meta.title) + (f" — {name}" if feed == own_feed else ""),
        email_subject=f"Subscribe to the {clean_text(meta.title)} email digest",
        email_note="Every new story, grouped by type, in one email.",
        stories=members,
    )


def _languages(top: Sequence[FeedItem], meta: FeedMeta) -> dict[str, list[FeedItem]]:
    """The stories of the main feed by the language they are written in, most stories first."""
    by_code: dict[str, list[FeedItem]] = {}
    for item in top:
        by_code.setdefault(item_language(item, meta.language), []).append(item)
    return dict(sorted(by_code.items(), key=lambda cm: (-len(cm[1]), cm[0])))


class _CompiledTemplates(FileSystemBytecodeCache):
    """Templates compiled once and kept between runs (in the user's own Jinja cache folder):
    compiling them costs more than rendering a build's pages. A cache that cannot be read or
    written is passed over, never a failed build."""

    def load_bytecode(self, bucket: Bucket) -> None:
        with suppress(OSError):
            super().load_bytecode(bucket)

    def dump_bytecode(self, bucket: Bucket) -> None:
        with suppress(OSError):
            super().dump_bytecode(bucket)


@cache
def environment() -> Environment:
    try:
        compiled: FileSystemBytecodeCache | None = _CompiledTemplates()
    except (OSError, RuntimeError):  # no private cache folder to be had
        compiled = None
    return Environment(loader=PackageLoader("feeds", "templates"), autoescape=select_autoescape(["html"]),
                       trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                       bytecode_cache=compiled)


class _Renderer:
    """Renders the pages of one build. A story is on the index, its tags' pages and its language's
    page: its HTML is made once per place in the folder, not once per page."""

    def __init__(self, meta: FeedMeta, tag_totals: Mapping[FeedTag, int],
                 languages: dict[str, list[FeedItem]], feeds: Collection[str] = ()):
        self.meta = meta
        self.languages = languages
        self.feeds = set(feeds)
        self.env = environment()
        self.views: dict[str, StoryView] = {}  # by guid: hashing a whole item costs more
        self.fragments: dict[tuple[str, str], Markup] = {}
        self.topics = [
            (facet_name(facet), sorted(((t, n) for t, n in tag_totals.items()
                                        if t.facet == facet and SAFE_SLUG.match(t.slug)),
                                       key=lambda tn: clean_text(tn[0].display).lower()))
            for facet in sorted({t.facet for t in tag_totals}, key=facet_order)
        ]

    def page(self, page: Page) -> bytes:
        stories = [self.story(item, page.root) for item in page.stories]
        html = self.env.get_template("site/page.html").render(
            page=page, root=page.root, meta=self.meta, site_title=clean_text(self.meta.title),
            stories=stories, topics=self.topics if page.path == "index.html" else (),
            languages=[(code, language_name(code), len(items), f"lang/{code}.xml" in self.feeds)
                       for code, items in self.languages.items()],
            feed_url=self.meta.base_url + page.feed, opml_url=self.meta.base_url + "feeds.opml",
            email_link=self.email_link(page.email_subject), stylesheet=page.root + STYLESHEET,
            updated=readable_date(newest(page.stories)) if page.stories else "",
            label=lambda tag: clean_text(tag.display) or tag.slug,
        )
        return html.encode("utf-8")

    def story(self, item: FeedItem, root: str) -> Markup:
        key = (item.guid, root)
        if key not in self.fragments:
            if item.guid not in self.views:
                self.views[item.guid] = story_view(item, self.meta.language)
            self.fragments[key] = Markup(self.env.get_template("site/story.html").render(
                story=self.views[item.guid], root=root, page_language=self.meta.language))
        return self.fragments[key]

    def email_link(self, subject: str) -> str:
        """The "by email" link: a mail with the subject filled in, or the sign-up page."""
        link = self.meta.email
        if not link.startswith("mailto:") or not subject:
            return link
        return link + ("&" if "?" in link else "?") + "subject=" + quote(subject)
