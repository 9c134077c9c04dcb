"""What a person reads of a story, the same on the static site and in the email digest.

Every field is plain text made from untrusted input (clean_text, make_excerpt) and every link an
http(s) URL or nothing; the templates escape them all again on the way out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from feeds.common import excerpt, safe_url, title
from feeds.model import SAFE_SLUG, FeedCopy, FeedItem, FeedTag
from feeds.sanitize import clean_text

#: A language may name a file only when its code is this plain (a tag: SAFE_SLUG).
SAFE_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")

FACET_NAMES = {"type": "Type of article", "ms-type": "Form of MS", "topic": "Topic",
               "country": "Country", "trial": "Trial"}
#: Names for the languages the project follows; any other code is shown as it is.
LANGUAGE_NAMES = {"en": "English", "es": "Spanish (español)", "pt": "Portuguese (português)",
                  "ru": "Russian (русский)", "it": "Italian (italiano)", "de": "German (Deutsch)",
                  "fr": "French (français)", "nl": "Dutch (Nederlands)"}


@dataclass(frozen=True)
class Link:
    url: str
    text: str


@dataclass(frozen=True)
class Chip:
    """A tag as a reader sees it: its label, and the page of its stories ("" when it has none)."""

    label: str
    slug: str
    facet: str
    page: str


@dataclass(frozen=True)
class StoryView:
    title: str
    link: str  # the original publisher's page, or "" when the stored link is not http(s)
    source: str
    author: str
    published: datetime
    excerpt: str
    note: str
    chips: tuple[Chip, ...]
    copies: tuple[Link, ...]  # "also published at"
    see_also: tuple[Link, ...]  # the paper a news story reports on
    language: str

    @property
    def date_text(self) -> str:
        return readable_date(self.published)

    @property
    def type_chip(self) -> Chip | None:
        return next((c for c in self.chips if c.facet == "type"), None)


def story_view(item: FeedItem, default_language: str = "en") -> StoryView:
    return StoryView(
        title=title(item),
        link=safe_url(item.link),
        source=clean_text(item.source_title),
        author=clean_text(item.author),
        published=item.published,
        excerpt=excerpt(item),
        note=clean_text(item.note),
        chips=tuple(chip(tag) for tag in sorted(item.tags, key=lambda t: facet_order(t.facet))),
        copies=_links(item.copies),
        see_also=_links(item.see_also),
        language=item_language(item, default_language),
    )


@lru_cache(maxsize=1024)  # a few dozen tags on thousands of stories
def chip(tag: FeedTag) -> Chip:
    page = f"tags/{tag.slug}.html" if SAFE_SLUG.match(tag.slug) else ""
    return Chip(label=clean_text(tag.display) or tag.slug, slug=tag.slug, facet=tag.facet, page=page)


def item_language(item: FeedItem, default: str = "en") -> str:
    """The item's language, lower case; the feed's (or English) when the item does not say."""
    code = (item.language or default or "en").strip().lower().replace("_", "-")
    return code if SAFE_LANGUAGE.match(code) else (default or "en")


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code) or LANGUAGE_NAMES.get(code.split("-")[0], code.upper())


def facet_name(facet: str) -> str:
    return FACET_NAMES.get(facet, facet.replace("-", " ").capitalize())


def facet_order(facet: str) -> tuple[int, str]:
    names = list(FACET_NAMES)
    return (names.index(facet) if facet in names else len(names), facet)


def readable_date(when: datetime) -> str:
    """"3 March 2026": unambiguous wherever the reader lives."""
    return f"{when.day} {when:%B %Y}"


def _links(copies: tuple[FeedCopy, ...]) -> tuple[Link, ...]:
    return tuple(Link(url=safe_url(c.url), text=clean_text(c.source_title) or safe_url(c.url))
                 for c in copies if safe_url(c.url))
