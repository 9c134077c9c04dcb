"""What a crawl of the sample sites must publish, and what a feed folder does publish: for the
tests that crawl them in other ways than one `hsct-watch run` (Scrapyd jobs, cluster workers)."""

from __future__ import annotations

from pathlib import Path

import feedparser

from hsctwatch.samples.server import load_articles, load_research
from hsctwatch.urls import url_key


def relevant_stories() -> set[str]:
    """Every relevant story of the sample sites: each must be one item of the feed."""
    research = load_research()
    stories = {str(a["story"]) for a in load_articles()["article"] if a["relevant"]}
    stories |= {str(p["pmid"]) for p in research["paper"] if p["relevant"]}
    stories |= {str(t["nct"]) for t in research["trial"] if t["relevant"]}
    return stories


def feed_items(folder: Path) -> list[tuple[str, str]]:
    """(guid, link as compared) of every item of the folder's RSS feed, which must parse cleanly."""
    parsed = feedparser.parse((folder / "rss.xml").read_bytes())
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    return [(entry.id, url_key(entry.link)) for entry in parsed.entries]
