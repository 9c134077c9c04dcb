"""Writing the feed folder: build everything in memory, then replace each file atomically.

A reader never sees half a file (temp file + fsync + os.replace), a failed build leaves the
previous files in place, and a file whose bytes did not change is not touched, so its
mtime — and the ETag/Last-Modified a web server derives from it — stays the same.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from feeds.atom import atom_bytes
from feeds.index import index_bytes, tag_counts
from feeds.jsonfeed import json_bytes
from feeds.model import FeedItem, FeedMeta, FeedTag
from feeds.rss import rss_bytes

SAFE_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,80}$")
SAFE_LANGUAGE = re.compile(r"^[a-z]{2,3}$")


@dataclass
class FeedReport:
    items: int = 0
    tag_feeds: int = 0
    language_feeds: int = 0
    files: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def write_feeds(items: Sequence[FeedItem], meta: FeedMeta, out_dir: Path, *, max_items: int = 100,
                now: datetime | None = None,
                tag_items: Mapping[FeedTag, Sequence[FeedItem]] | None = None,
                tag_totals: Mapping[FeedTag, int] | None = None,
                language_items: Mapping[str, Sequence[FeedItem]] | None = None,
                language_totals: Mapping[str, int] | None = None,
                language_names: Mapping[str, str] | None = None) -> FeedReport:
    """Write the feed folder. ``items`` are the candidates of the main feed; ``tag_items`` (with
    ``tag_totals`` for the index) the candidates of each tag feed when the caller has picked them
    from a large store; without them the tag feeds are made from ``items``; and the same for
    each language's feed (``lang/<code>.xml``), by language code, with ``language_names``
    ("es" → "Spanish") for their titles."""
    ordered = sorted(items, key=lambda i: (i.published, i.guid), reverse=True)
    top = ordered[:max_items]
    if tag_items is None:
        counts = tag_counts(ordered)
        tag_items = {tag: [i for i in ordered if any(t.slug == tag.slug for t in i.tags)] for tag in counts}
    else:
        counts = dict(tag_totals or {tag: len(members) for tag, members in tag_items.items()})
    files: dict[str, bytes] = {
        "rss.xml": rss_bytes(top, meta),
        "atom.xml": atom_bytes(top, meta),
        "feed.json": json_bytes(top, meta),
    }
    for tag, members in tag_items.items():
        if not SAFE_SLUG.match(tag.slug):
            continue
        tagged = sorted(members, key=lambda i: (i.published, i.guid), reverse=True)[:max_items]
        files[f"tags/{tag.slug}.xml"] = rss_bytes(tagged, meta, path=f"tags/{tag.slug}.xml",
                                                  title_suffix=tag.display)
    names = dict(language_names or {})
    if language_items is None:
        grouped: dict[str, list[FeedItem]] = {}
        for item in ordered:
            grouped.setdefault(item.language or meta.language, []).append(item)
        language_items = grouped
        language_totals = {code: len(members) for code, members in grouped.items()}
    languages: dict[str, tuple[str, int]] = {}
    for code, members in language_items.items():
        if not SAFE_LANGUAGE.match(code):
            continue
        name = names.get(code, code)
        newest = sorted(members, key=lambda i: (i.published, i.guid), reverse=True)[:max_items]
        files[f"lang/{code}.xml"] = rss_bytes(newest, dataclasses.replace(meta, language=code),
                                              path=f"lang/{code}.xml", title_suffix=name)
        languages[code] = (name, (language_totals or {}).get(code, len(members)))
    files["index.html"] = index_bytes(meta, counts, len(top), languages)

    report = FeedReport(items=len(top), tag_feeds=sum(1 for f in files if f.startswith("tags/")),
                        language_feeds=len(languages))
    out_dir = Path(out_dir)
    (out_dir / "tags").mkdir(parents=True, exist_ok=True)
    (out_dir / "lang").mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        report.files.append(name)
        if write_if_changed(out_dir / name, data):
            report.changed.append(name)
    for folder in ("tags", "lang"):
        for stale in (out_dir / folder).glob("*.xml"):
            if f"{folder}/{stale.name}" not in files:
                stale.unlink()
                report.removed.append(f"{folder}/{stale.name}")
    return report


def write_if_changed(path: Path, data: bytes) -> bool:
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True
