"""The email digest's message: the new stories grouped by type, as plain text and as HTML, in one
`email.message.EmailMessage` (multipart/alternative) that any mail program shows.

The stories are read through `feeds.views`, like the site's: plain text from untrusted input,
escaped again by the HTML template. Styles are inline because mail programs drop style sheets.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from urllib.parse import quote

from feeds.model import FeedItem, FeedMeta, FeedTag
from feeds.sanitize import clean_text
from feeds.site import environment
from feeds.views import StoryView, story_view

OTHER = "Other stories"


@dataclass(frozen=True)
class Group:
    heading: str
    stories: tuple[StoryView, ...]


def group_by_type(items: Sequence[FeedItem], types: Sequence[FeedTag], default_language: str = "en"
                  ) -> list[Group]:
    """Stories under their type (research, news, patient story…) in the order of ``types``; a
    story of two types is listed once, under the first; one of none under "Other stories"."""
    order = [t.slug for t in types]
    labels = {t.slug: clean_text(t.display) or t.slug for t in types}
    groups: dict[str, list[StoryView]] = {}
    for item in items:
        own = [t for t in item.tags if t.facet == "type"]
        own.sort(key=lambda t: order.index(t.slug) if t.slug in order else len(order))
        key = own[0].slug if own else ""
        labels.setdefault(key, clean_text(own[0].display) if own else OTHER)
        groups.setdefault(key, []).append(story_view(item, default_language))
    ranked = sorted(groups, key=lambda k: (k == "", order.index(k) if k in order else len(order), k))
    return [Group(labels[key], tuple(groups[key])) for key in ranked]


def digest_message(items: Sequence[FeedItem], meta: FeedMeta, *, sender: str, to: Sequence[str],
                   types: Sequence[FeedTag], when: datetime, list_label: str = "") -> EmailMessage:
    """The digest of ``items`` for one recipient list. ``to`` are the list's addresses: one is
    named in the To: header; several are sent to unseen by each other."""
    groups = group_by_type(items, types, meta.language)
    count = len(items)
    title = clean_text(meta.title)
    subject = f"{title}: {count} new stor{'y' if count == 1 else 'ies'}" + (
        f" — {list_label}" if list_label else "")
    context = {
        "title": title, "subject": subject, "groups": groups, "count": count, "list_label": list_label,
        "site": meta.base_url + "index.html", "opml": meta.base_url + "feeds.opml",
        "email": meta.email, "date": f"{when.day} {when:%B %Y}", "wrap": _wrap,
    }
    env = environment()
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = to[0] if len(to) == 1 else "undisclosed-recipients:;"
    message["Date"] = format_datetime(when)
    message["Message-ID"] = make_msgid("digest", domain=parseaddr(sender)[1].rpartition("@")[2] or None)
    if meta.email.startswith("mailto:"):
        message["List-Unsubscribe"] = f"<{meta.email.split('?')[0]}?subject={quote('Unsubscribe')}>"
    message.set_content(env.get_template("digest/digest.txt").render(context))
    message.add_alternative(env.get_template("digest/digest.html").render(context), subtype="html")
    return message


def _wrap(text: str, indent: str = "") -> str:
    """Plain text wrapped at 72 columns, as mail programs expect."""
    return textwrap.fill(text, width=72, initial_indent=indent, subsequent_indent=indent,
                         break_long_words=False, break_on_hyphens=False)
