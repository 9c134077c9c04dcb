"""URL canonicalisation: one story, one URL, whatever tracking, AMP or comment links say.

courlan (trafilatura's URL library) removes tracking and session parameters and fragments;
what is ours is the AMP variants and the comparison key that ignores scheme, ``www`` and the
trailing slash, which publishers mix freely. Every other query parameter is kept: on many sites
it is what tells two articles apart (``index.php?story=5``), so courlan's strict mode, which
keeps only a short list of known ones, is not used.
"""

from __future__ import annotations

import functools
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

#: Query parameters that never change the article (on top of courlan's tracking list).
EXTRA_NOISE_PARAMS = {
    "amp", "outputtype", "replytocom", "share", "shared", "cmpid", "mc_cid", "mc_eid",
    "output", "print", "noamp", "from", "via", "src", "sr_share", "spm",
    "sid", "sessionid", "phpsessid", "jsessionid",
}
AMP_PATH = re.compile(r"/amp/?$|\.amp(?=\.html?$)|/amp(?=/)", re.IGNORECASE)


def canonical_url(url: str) -> str:
    """The URL to link to: tracking, AMP, comment-reply parameters and fragments removed."""
    url = (url or "").strip()
    if not url:
        return ""
    from courlan import normalize_url  # here: the store, the feeds and the desk need not load it

    try:
        normalized = normalize_url(url)
    except (ValueError, TypeError):
        normalized = url
    try:
        parts = urlsplit(normalized)
        parts.port  # noqa: B018 — raises for a port that is not a number
    except ValueError:  # not readable as a URL (a broken IPv6 address, a bad port): no URL at all
        return ""
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k and k.lower() not in EXTRA_NOISE_PARAMS and not k.lower().startswith("utm_")
    ]
    path = AMP_PATH.sub(lambda m: "/" if m.group(0).startswith("/") else "", parts.path) or "/"
    path = re.sub(r"//+", "/", path)
    host = parts.netloc.lower()
    if host.startswith("amp."):
        host = host[4:]
    return urlunsplit((parts.scheme.lower(), host, path, urlencode(sorted(query)), ""))


@functools.lru_cache(maxsize=256)
def url_key(url: str) -> str:
    """The form two URLs are compared in: scheme, ``www.``, default port and trailing slash
    don't make a different article. The last few are kept: the dedup and store stages ask for
    one item's keys several times (a pure function of the string)."""
    canonical = canonical_url(url)
    if not canonical:
        return ""
    parts = urlsplit(canonical)
    host = parts.hostname or ""
    if host.startswith("www."):
        host = host[4:]
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    path = parts.path.rstrip("/") or "/"
    key = f"{host}{path}"
    return f"{key}?{parts.query}" if parts.query else key
