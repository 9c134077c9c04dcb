"""What a feed is made of: plain data, built from the store by hsctwatch.stories.publish."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

#: A tag may name a file (its feed, its page) only when its slug is this plain.
SAFE_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,80}$")


@dataclass(frozen=True)
class FeedTag:
    facet: str  # type, ms-type, topic, country, trial
    slug: str  # unique across facets
    label: str = ""

    @property
    def display(self) -> str:
        return self.label or self.slug


@dataclass(frozen=True)
class FeedCopy:
    url: str
    source_title: str


@dataclass(frozen=True)
class FeedTranslation:
    """Another language's version of an item: an item of its own, in its own language's feed."""

    language: str  # its code ("es")
    language_name: str  # "Spanish"
    url: str
    title: str  # untrusted


@dataclass(frozen=True)
class FeedItem:
    guid: str  # stable forever
    title: str  # untrusted
    link: str  # the original publisher's URL
    published: datetime  # aware UTC
    updated: datetime | None
    summary: str  # the article's own summary (untrusted), may be ""
    text: str  # extracted main text (untrusted)
    source_title: str
    author: str = ""
    tags: tuple[FeedTag, ...] = ()
    copies: tuple[FeedCopy, ...] = ()
    note: str = ""  # an editorial note shown first, e.g. a trial's status change
    see_also: tuple[FeedCopy, ...] = ()  # e.g. the paper a news story reports on
    language: str = ""  # the article's language (ISO 639-1); "" is the feed's own
    translations: tuple[FeedTranslation, ...] = ()  # the same article in other languages ("Also in Spanish")


@dataclass(frozen=True)
class FeedMeta:
    title: str
    description: str
    base_url: str  # where the output folder is published, with a trailing slash
    language: str = "en"
    generator: str = "hsct-watch"
    hub: str = ""  # a WebSub hub the feeds declare ("" for none)
    email: str = ""  # where a reader asks for the email digest: mailto: or a sign-up page ("" for none)
    email_tags: tuple[str, ...] = ()  # tags with a digest list of their own
