"""What a crawl may ask for: web addresses only, and private addresses only for a source that
lives on one.

Feeds, sitemaps, listings and redirects are written by others. A `file:` link must not make the
crawler read the machine's own files, and a link or redirect to 169.254.169.254, 10.x or
localhost must not make it reach, on a stranger's behalf, what only this machine can reach (a
cloud's metadata service, an intranet). So every request, redirects and robots.txt included,
passes this downloader middleware:

- a scheme other than http(s) is refused (Scrapy's other download handlers are switched off in
  hsctwatch.crawl.settings as well);
- an address that is not public (private, loopback, link-local, shared, reserved, multicast) is
  refused, unless the source's own configured URLs (its ``urls``, or its ``api``) are on such an
  address — a site on an intranet, or the sample sites on loopback — or ``[crawl] allow_private
  = true`` says the operator wants it for every source.

A host name is resolved to decide (once per host and crawl); a name that does not resolve here
is let through, and its download fails as it would anyway. The check is made before the
request is sent, not at connect time: a name whose DNS answer changes between the two (DNS
rebinding) is not caught.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.utils.httpobj import urlparse_cached

from hsctwatch.crawl.extensions import add_warning
from hsctwatch.crawl.middlewares import Skipped

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
WEB_SCHEMES = ("http", "https")


class Refused(Skipped):
    """A request this crawl must not make: not a web address, or a private one."""


def is_public(address: Address) -> bool:
    """An address anyone on the internet may reach (IPv4 written as IPv6 is read as IPv4)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def ip_literal(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None


class AddressGuard:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.allow_private = crawler.settings.getbool("HSCTWATCH_ALLOW_PRIVATE")
        self._addresses: dict[str, tuple[Address, ...]] = {}
        self._source_private: bool | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AddressGuard:
        return cls(crawler)

    async def process_request(self, request: Request, spider: Spider | None = None) -> None:
        parts = urlparse_cached(request)
        if parts.scheme not in WEB_SCHEMES:
            self._refuse(request, "refused a request that is not http(s)")
        if self.allow_private or await self._source_is_private():
            return None
        host = parts.hostname or ""
        private = next((a for a in await self._resolve(host) if not is_public(a)), None)
        if private is not None:
            self._refuse(request, "refused links to private addresses (only a source whose own URL is on "
                                  "one may reach them; [crawl] allow_private = true allows them)")
        return None

    def _refuse(self, request: Request, message: str) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("hsctwatch/guard/refused")
        add_warning(self.crawler.stats, message, example=request.url)
        raise Refused(f"{request.url}: {message}")

    async def _source_is_private(self) -> bool:
        """Whether the source's own URLs are on a private address (decided once per crawl)."""
        if self._source_private is None:
            source = getattr(self.crawler.spider, "source", None)
            hosts = {urlsplit(url).hostname or "" for url in _own_urls(source)}
            found = False
            for host in hosts - {""}:
                if any(not is_public(a) for a in await self._resolve(host)):
                    found = True
            self._source_private = found
        return self._source_private

    async def _resolve(self, host: str) -> tuple[Address, ...]:
        literal = ip_literal(host)
        if literal is not None:
            return (literal,)
        if host not in self._addresses:
            try:
                infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
            except (OSError, UnicodeError):
                infos = []  # not resolvable here: the download will say so
            found = (ip_literal(str(info[4][0])) for info in infos)
            self._addresses[host] = tuple(a for a in found if a is not None)
        return self._addresses[host]


def _own_urls(source: Any) -> Iterable[str]:
    """The URLs a source's config names: its `urls`, and its `api` when it has one."""
    if source is None:
        return ()
    api = source.option("api")
    return [*source.urls, *([api] if isinstance(api, str) and api else [])]
