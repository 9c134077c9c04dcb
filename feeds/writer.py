"""Writing the feed folder: build everything in memory, then replace each file atomically.

A reader never sees half a file (temp file + fsync + os.replace), a failed build leaves the
previous files in place, and a file whose bytes did not change is not touched, so its
mtime — and the ETag/Last-Modified a web server derives from it — stays the same. A temp file
left by a build killed before its rename is removed by the next build (builds take turns:
hsctwatch.stories.publish), and a folder that can't be written is one FeedFolderError.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from feeds.atom import atom_bytes
from feeds.folder import FeedFolderError, cannot_write, check_feed_folder
from feeds.jsonfeed import json_bytes
from feeds.model import SAFE_SLUG, FeedItem, FeedMeta, FeedTag
from feeds.opml import opml_bytes
from feeds.rss import rss_bytes
from feeds.site import site_files
from feeds.views import SAFE_LANGUAGE, item_language

#: Folders of the output whose files come and go with the tags (and languages) in use.
MANAGED = ("tags", "lang")

TEMP_GLOB = ".*.tmp"  # write_if_changed's temp files (and check_feed_folder's probe)
__all__ = ["TEMP_GLOB", "FeedFolderError", "FeedReport", "check_feed_folder", "write_feeds",
           "write_if_changed"]


@dataclass
class FeedReport:
    items: int = 0
    tag_feeds: int = 0
    language_feeds: int = 0
    files: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)  # one line per problem after writing (a hub ping)


def write_feeds(items: Sequence[FeedItem], meta: FeedMeta, out_dir: Path, *, max_items: int = 100,
                now: datetime | None = None,
                tag_items: Mapping[FeedTag, Sequence[FeedItem]] | None = None,
                tag_totals: Mapping[FeedTag, int] | None = None,
                language_items: Mapping[str, Sequence[FeedItem]] | None = None,
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
    tagged: dict[FeedTag, list[FeedItem]] = {}
    for tag, members in tag_items.items():
        if not SAFE_SLUG.match(tag.slug):
            continue
        tagged[tag] = sorted(members, key=lambda i: (i.published, i.guid), reverse=True)[:max_items]
        files[f"tags/{tag.slug}.xml"] = rss_bytes(tagged[tag], meta, path=f"tags/{tag.slug}.xml",
                                                  title_suffix=tag.display)
    by_language = _by_language(ordered, meta, language_items, max_items)
    for code, members in by_language.items():
        name = (language_names or {}).get(code, code)
        files[f"lang/{code}.xml"] = rss_bytes(members, dataclasses.replace(meta, language=code),
                                              path=f"lang/{code}.xml", title_suffix=name)
    feed_names = list(files)
    files.update(site_files(top, meta, tagged, counts, feed_names, by_language))
    files["feeds.opml"] = opml_bytes(meta, feed_names, counts)

    report = FeedReport(items=len(top), tag_feeds=len(tagged), language_feeds=len(by_language))
    out_dir = Path(out_dir)
    try:
        _write_folder(out_dir, files, report)
    except OSError as exc:
        raise FeedFolderError(cannot_write(out_dir, exc)) from None
    return report


def _write_folder(out_dir: Path, files: dict[str, bytes], report: FeedReport) -> None:
    for name in MANAGED:
        (out_dir / name).mkdir(parents=True, exist_ok=True)
    # temp files left by a build killed between write and rename
    for place in (out_dir, *(out_dir / name for name in MANAGED)):
        for left in place.glob(TEMP_GLOB):
            left.unlink(missing_ok=True)
    for name, data in files.items():
        report.files.append(name)
        if write_if_changed(out_dir / name, data):
            report.changed.append(name)
    for folder in MANAGED:
        for stale in sorted((out_dir / folder).glob("*.*")):
            if stale.suffix in (".xml", ".html") and f"{folder}/{stale.name}" not in files:
                stale.unlink()
                report.removed.append(f"{folder}/{stale.name}")


def _by_language(ordered: Sequence[FeedItem], meta: FeedMeta, chosen: Mapping[str, Sequence[FeedItem]] | None,
                 max_items: int) -> dict[str, list[FeedItem]]:
    """Each language's feed: the newest ``max_items`` of its candidates (the main feed's items
    by language when the caller picked none), languages with the most stories first."""
    if chosen is None:
        grouped: dict[str, list[FeedItem]] = {}
        for item in ordered:
            grouped.setdefault(item_language(item, meta.language), []).append(item)
        chosen = grouped
    found = {code: sorted(members, key=lambda i: (i.published, i.guid), reverse=True)[:max_items]
             for code, members in chosen.items() if SAFE_LANGUAGE.match(code) and members}
    return dict(sorted(found.items(), key=lambda cm: (-len(cm[1]), cm[0])))


def tag_counts(items: Sequence[FeedItem]) -> dict[FeedTag, int]:
    """How many of ``items`` carry each tag."""
    counts: dict[FeedTag, int] = {}
    for item in items:
        for tag in item.tags:
            counts[tag] = counts.get(tag, 0) + 1
    return counts


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
