"""WebSub (https://www.w3.org/TR/websub/): the feeds name a hub, and after a build that changed a
feed the hub is told, so readers subscribed through it get new stories in seconds instead of at
their next poll.

The publish ping is the one hubs have understood since PubSubHubbub: a form POST of
``hub.mode=publish`` and ``hub.url=<the feed>``, one per changed feed.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlencode

from lxml import etree

from hsctwatch import __version__

ATOM = "http://www.w3.org/2005/Atom"
TIMEOUT = 10.0  # seconds per ping: a slow hub must not hold up the run
FEED_SUFFIXES = (".xml", ".json")


def with_hub(rss: bytes, hub: str) -> bytes:
    """An RSS document with ``<atom:link rel="hub">`` beside its self link (feedgen writes only
    the self link in RSS)."""
    if not hub:
        return rss
    root = etree.fromstring(rss)
    channel = root.find("channel")
    assert channel is not None  # feedgen always writes one
    link = etree.Element(f"{{{ATOM}}}link", href=hub, rel="hub")
    self_link = channel.find(f"{{{ATOM}}}link[@rel='self']")
    if self_link is not None:
        self_link.addnext(link)
    else:
        channel.insert(0, link)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def changed_feeds(changed: Sequence[str]) -> list[str]:
    """The feed files among a build's changed files (not the site's pages, nor the OPML)."""
    return [name for name in changed if name.endswith(FEED_SUFFIXES)]


def notify(hub: str, topics: Sequence[str], *, timeout: float = TIMEOUT) -> list[str]:
    """Tell ``hub`` that each feed URL in ``topics`` changed. Returns the problems as one line
    (empty when every ping was accepted); a hub that cannot be reached is not asked again."""
    failed: list[str] = []
    for number, topic in enumerate(topics):
        problem = _ping(hub, topic, timeout)
        if problem is None:
            continue
        if problem.startswith("cannot reach"):
            left = len(topics) - number
            return [f"hub {hub}: {problem}; {left} changed feed(s) not announced"]
        failed.append(f"{topic} ({problem})")
    if failed:
        shown = "; ".join(failed[:3]) + (f"; and {len(failed) - 3} more" if len(failed) > 3 else "")
        return [f"hub {hub}: {len(failed)} of {len(topics)} ping(s) refused: {shown}"]
    return []


def _ping(hub: str, topic: str, timeout: float) -> str | None:
    import urllib.error  # with HTTP's modules: only a build with a hub pings
    import urllib.request

    data = urlencode({"hub.mode": "publish", "hub.url": topic}).encode("ascii")
    request = urllib.request.Request(hub, data=data, method="POST", headers={
        "Content-Type": "application/x-www-form-urlencoded",
        "User-Agent": f"hsct-watch/{__version__} (WebSub publisher)",
    })
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read(65536)
            return None if 200 <= response.status < 300 else f"HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return f"cannot reach it ({getattr(reason, 'strerror', None) or reason})"
