"""Dates as sources give them (ISO 8601, RFC 822, datetimes with or without zone) → aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from dateutil import parser as dateutil_parser

#: Dates before this are taken as errors of the source (a "1970-01-01" from an empty field).
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)


def parse_date(value: object, *, now: datetime | None = None) -> datetime | None:
    """An aware UTC datetime, or None when the value is missing, unreadable or implausible.

    A date without a zone is taken as UTC; a date in the future (more than a day ahead) is
    refused, because a feed that says so is wrong and would pin the item to the top.
    """
    if value is None or value == "":
        return None
    when: datetime | None
    if isinstance(value, datetime):
        when = value
    elif isinstance(value, str):
        when = _parse_string(value.strip())
    else:
        return None
    if when is None:
        return None
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    limit = (now or datetime.now(UTC)).timestamp() + 86400
    if when < EARLIEST or when.timestamp() > limit:
        return None
    return when


def _parse_string(text: str) -> datetime | None:
    if not text:
        return None
    try:
        return dateutil_parser.isoparse(text)
    except (ValueError, OverflowError):
        pass
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        pass
    try:
        return dateutil_parser.parse(text, fuzzy=False)
    except (ValueError, OverflowError, TypeError):
        return None


def ago(when: datetime | None, now: datetime | None = None) -> str:
    """How long ago, for people: "3d ago", "5h ago", "just now", "never"."""
    if when is None:
        return "never"
    seconds = ((now or datetime.now(UTC)) - when).total_seconds()
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit} ago"
    return "just now"
