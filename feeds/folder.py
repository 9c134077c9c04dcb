"""Whether the feed folder can be written: asked before a command changes anything, by commands
that may not build the feeds until much later (a run, after its crawl), so without the writers'
imports (feedgen, lxml, Jinja)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


class FeedFolderError(Exception):
    """The feed folder can't be written; str() is one line naming it and the fix."""


def check_feed_folder(out_dir: Path) -> None:
    """Raise FeedFolderError unless ``out_dir`` is a folder that can be written, or can be made.

    Tried by writing a file and removing it, not by os.access(), which says yes to root on a
    read-only or immutable folder. Nothing is left behind, and a missing folder is not made."""
    out_dir = Path(out_dir)
    folder = out_dir
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise FeedFolderError(f"cannot make the feed folder {out_dir}: {folder} is a file; "
                              "change [feeds] out")
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".hsct-watch-probe.", suffix=".tmp")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise FeedFolderError(cannot_write(out_dir, exc)) from None
    tags = out_dir / "tags"
    if tags.exists() and not tags.is_dir():
        raise FeedFolderError(f"the feed folder's {tags} is a file, where the tag feeds go; remove it")


def cannot_write(out_dir: Path, exc: OSError) -> str:
    return (f"cannot write the feed folder {out_dir} ({exc.strerror or exc}); check its permissions "
            "and the disk, or change [feeds] out")
