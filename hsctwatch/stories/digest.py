"""The email digest: the stories published since each list's last digest, sent over SMTP.

What a list has had is kept in the store (`DigestList`, `DigestSent`) and written only after the
mail server took the message: a story is never sent to a list twice, and one whose send failed
waits for the next digest. A list's first digest reaches back `[digest] lookback_days`; from
then on it gets every story published after that, even one an editor approves weeks after it
was found.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, selectinload

from feeds import FeedItem, FeedTag
from feeds.digest import digest_message
from hsctwatch.config import Config
from hsctwatch.digest_config import DigestConfig
from hsctwatch.rules import Vocabulary
from hsctwatch.stories.models import DigestList, DigestSent, Store, Story, Tag
from hsctwatch.stories.publish import feed_item, feed_meta, source_titles

TIMEOUT = 30.0  # seconds for each exchange with the mail server


class DigestError(Exception):
    """A problem that stops the digest before anything is sent; str() is the one line shown."""


@dataclass
class ListDigest:
    """One list's digest: its name in the store, its addresses, its new stories and the message."""

    name: str
    recipients: tuple[str, ...]
    story_ids: list[int]
    message: EmailMessage | None  # None: nothing new
    outcome: str = ""  # after sending: what happened, one line
    failed: bool = False


@dataclass
class DigestReport:
    lists: list[ListDigest] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(d.failed for d in self.lists)


def prepare(config: Config, store: Store, now: datetime) -> list[ListDigest]:
    """Each configured list with the stories it has not had, and their message (nothing stored)."""
    digest = _configured(config)
    vocabulary = Vocabulary.load(config.rules)
    meta = feed_meta(config)
    types = [FeedTag("type", slug, vocabulary.display(slug)) for slug in vocabulary.facets.get("type", [])]
    out = []
    with store.session() as session:
        titles = source_titles(session, config)
        for name, recipients in digest.lists.items():
            row = session.get(DigestList, name)
            since = row.since if row else now - timedelta(days=digest.lookback_days)
            tag = name.removeprefix("tag:") if name.startswith("tag:") else None
            stories = _unsent(store, session, name, since, tag, config.feeds.publish)
            items: list[FeedItem] = [feed_item(s, titles, vocabulary) for s in stories]
            message = digest_message(
                items, meta, sender=digest.sender, to=recipients, types=types, when=now,
                list_label=vocabulary.display(tag) if tag else "") if items else None
            out.append(ListDigest(name, recipients, [s.id for s in stories], message))
    return out


def send_digest(config: Config, store: Store, now: datetime | None = None) -> DigestReport:
    """Send each list its digest and record what went out. Lists with nothing new get no mail."""
    digest = _configured(config)
    now = now or datetime.now(UTC)
    password = _password(digest)
    lists = prepare(config, store, now)
    _start_lists(store, digest, lists, now)
    due = [d for d in lists if d.message is not None]
    for d in lists:
        if d.message is None:
            d.outcome = "nothing new since the last digest"
    if due:
        _deliver(digest, password, due)
        for d in due:
            if not d.failed:
                _record(store, d, now)
    return DigestReport(lists)


def _configured(config: Config) -> DigestConfig:
    if config.digest is None:
        raise DigestError("no [digest] table in the config; add one with the SMTP server, from and "
                          "to (see the README's config reference)")
    return config.digest


def _password(digest: DigestConfig) -> str:
    if not digest.password_env:
        return ""
    password = os.environ.get(digest.password_env)
    if password is None:
        raise DigestError(f"the SMTP password is not set: put it in the environment variable "
                          f"{digest.password_env} ([digest] password_env)")
    return password


def _unsent(store: Store, session: Session, name: str, since: datetime, tag: str | None,
            publish: str) -> Sequence[Story]:
    query = store.published(select(Story), publish).where(
        Story.first_seen >= since,
        ~exists().where(DigestSent.list_name == name, DigestSent.article_id == Story.id),
    ).options(selectinload(Story.tags), selectinload(Story.copies), selectinload(Story.edit))
    if tag:
        query = query.where(Story.tags.any((Tag.slug == tag) & (Tag.origin != "removed")))
    query = query.order_by(Story.published.desc().nulls_last(), Story.id.desc())
    return session.scalars(query).all()


def _start_lists(store: Store, digest: DigestConfig, lists: list[ListDigest], now: datetime) -> None:
    """A list's first digest fixes where it starts, so a story found before it and published
    (approved) later is still sent."""
    with store.session() as session:
        for d in lists:
            if session.get(DigestList, d.name) is None:
                session.add(DigestList(name=d.name, since=now - timedelta(days=digest.lookback_days)))


def _deliver(digest: DigestConfig, password: str, due: list[ListDigest]) -> None:
    """Send every due digest over one connection; each list fails on its own."""
    sender = parseaddr(digest.sender)[1]
    try:
        with _connect(digest, password) as smtp:
            for d in due:
                assert d.message is not None
                addresses = [a for _, a in getaddresses(list(d.recipients))]
                try:
                    refused = smtp.send_message(d.message, from_addr=sender, to_addrs=addresses)
                except smtplib.SMTPServerDisconnected:
                    raise
                except smtplib.SMTPException as exc:
                    _fail(d, _smtp_reason(exc))
                    continue
                d.outcome = f"sent {len(d.story_ids)} stor{'y' if len(d.story_ids) == 1 else 'ies'} " \
                            f"to {len(addresses) - len(refused)} recipient(s)"
                if refused:
                    d.outcome += "; refused: " + ", ".join(
                        f"{a} ({_smtp_reason(r)})" for a, r in sorted(refused.items()))
    except (OSError, smtplib.SMTPException) as exc:
        reason = _smtp_reason(exc)
        for d in due:
            if not d.outcome:
                _fail(d, reason)


def _connect(digest: DigestConfig, password: str) -> smtplib.SMTP:
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if digest.security == "ssl":
        smtp = smtplib.SMTP_SSL(digest.host, digest.port, timeout=TIMEOUT, context=context)
    else:
        smtp = smtplib.SMTP(digest.host, digest.port, timeout=TIMEOUT)
    try:
        smtp.ehlo()
        if digest.security == "starttls":
            smtp.starttls(context=context)
            smtp.ehlo()
        if digest.user:
            smtp.login(digest.user, password)
    except BaseException:
        smtp.close()
        raise
    return smtp


def _fail(d: ListDigest, reason: str) -> None:
    d.failed = True
    one = len(d.story_ids) == 1
    d.outcome = (f"not sent ({reason}); its {len(d.story_ids)} stor{'y waits' if one else 'ies wait'} "
                 "for the next digest")


def _smtp_reason(exc: object) -> str:
    if isinstance(exc, tuple):  # a refused recipient: (code, message)
        code, text = exc
        return f"{code} {text.decode('utf-8', 'replace') if isinstance(text, bytes) else text}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "every recipient refused: " + "; ".join(
            f"{a} {_smtp_reason(r)}" for a, r in sorted(exc.recipients.items()))
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) \
            else str(exc.smtp_error)
        return f"the mail server said {exc.smtp_code} {text}"
    if isinstance(exc, smtplib.SMTPException):  # before OSError, of which it is one
        return str(exc) or type(exc).__name__
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed: {exc.reason or exc}"
    if isinstance(exc, OSError):
        return f"cannot reach the mail server: {exc.strerror or exc}"
    return str(exc) or type(exc).__name__


def _record(store: Store, d: ListDigest, now: datetime) -> None:
    with store.session() as session:
        row = session.get(DigestList, d.name)
        assert row is not None  # made by _start_lists
        row.last_sent_at = now
        session.add_all(DigestSent(list_name=d.name, article_id=i, sent_at=now) for i in d.story_ids)
