"""A fault-injecting web server on loopback: every way a real site fails or sends garbage."""

from __future__ import annotations

import gzip
import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

WORDS = ("Autologous haematopoietic stem cell transplantation for relapsing multiple sclerosis "
         "was discussed at length by the neurologists and the patients who had it. ") * 8


def _feed(title: str, date: str = "Tue, 10 Mar 2026 10:00:00 +0000", extra: str = "") -> str:
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{title}</title>'
            f"<link>http://fault/</link><description>d</description><item><title>{title}: HSCT for MS</title>"
            f"<link>http://127.0.0.20/{title}/article</link><guid>{title}-1</guid><pubDate>{date}</pubDate>"
            f"<description>{title}. {WORDS}</description>{extra}</item></channel></rss>")


def _three(base: str) -> str:
    items = "".join(f"<item><title>Page {n}</title><link>{base}/page/{n}</link><guid>p{n}</guid></item>"
                    for n in (1, 2, 3))
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Three</title>{items}</channel></rss>'


def _links(base: str, secret: str) -> str:
    """A feed whose entries link to a local file, to loopback and link-local addresses, to a
    page that redirects to loopback, and to one ordinary page."""
    links = [f"file://{secret}", f"{base}/page/1", "http://169.254.169.254/latest/meta-data/",
             "http://news.example/redirect-home", "http://news.example/page/3"]
    items = "".join(f"<item><title>Link {n}</title><link>{link}</link><guid>l{n}</guid></item>"
                    for n, link in enumerate(links))
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Links</title>{items}</channel></rss>'


def _index(paths: list[str], base: str) -> bytes:
    entries = "".join(f"<sitemap><loc>{base}{path}</loc></sitemap>" for path in paths)
    return (f'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"{entries}</sitemapindex>").encode()


class FaultServer:
    """Serves /<fault> paths on 127.0.0.20 (and counts the requests per path).

    It is an HTTP proxy too: a request for ``http://news.example/path`` sent through it is
    answered as ``/path`` and counted as ``news.example/path`` — a "public" site for the tests.
    """

    def __init__(self, host: str = "127.0.0.20", robots: str = "User-agent: *\nDisallow: /private/\n"):
        self.host = host
        self.hits: dict[str, int] = {}
        self.times: list[float] = []
        self.robots = robots.encode()
        self.secret = "/nonexistent"  # the local file the /links feed links to
        # made before serving: compressing on request would be slow enough to time out instead
        self.bomb = gzip.compress(b"\0" * (64 * 1024 * 1024), compresslevel=6)
        self.routes: dict[str, Callable[[BaseHTTPRequestHandler], None]] = {
            "/robots.txt": lambda h: self._send(h, 200, self.robots, "text/plain"),
            "/three": lambda h: self._send(h, 200, _three(self.base).encode(), "application/rss+xml"),
            "/links": lambda h: self._send(h, 200, _links(self.base, self.secret).encode(), "application/rss+xml"),
            "/redirect-home": lambda h: self._redirect(h, f"{self.base}/page/2"),
            "/page/1": self._page, "/page/2": self._page, "/page/3": self._page,
            "/server-error": lambda h: self._send(h, 503, b"<h1>Service unavailable</h1>", "text/html"),
            "/timeout": self._timeout,
            "/reset": self._reset,
            "/loop": lambda h: self._redirect(h, "/loop"),
            "/huge": self._huge,
            "/gzip-bomb": lambda h: self._send(h, 200, self.bomb, "application/rss+xml",
                                               {"Content-Encoding": "gzip"}),
            "/not-xml": lambda h: self._send(h, 200, b"<rss><channel><title>Broken <item><title>x</rss", "application/rss+xml"),
            "/wrong-charset": lambda h: self._send(h, 200, _feed("Caf\u00e9 news").encode("latin-1"),
                                                   "application/rss+xml; charset=utf-8"),
            "/no-charset": lambda h: self._send(h, 200, _feed("Plain").encode("utf-8").replace(
                b' encoding="utf-8"', b""), "application/rss+xml"),
            "/html-instead": lambda h: self._send(h, 200, b"<!DOCTYPE html><html><body><h1>We moved!</h1></body></html>",
                                                  "text/html"),
            "/empty": lambda h: self._send(h, 200, b"", "application/rss+xml"),
            "/bad-dates": lambda h: self._send(h, 200, _feed("Dates", date="32 Smarch 20X6 99:99").encode(),
                                               "application/rss+xml"),
            "/private/feed": lambda h: self._send(h, 200, _feed("Private").encode(), "application/rss+xml"),
        }
        self.server = ThreadingHTTPServer((host, 0), self._handler())
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.base = f"http://{host}:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FaultServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                path = self.path.split("?")[0]
                if path.startswith("http://"):  # as a proxy
                    host, _, rest = path.removeprefix("http://").partition("/")
                    self.path = path = "/" + rest
                    server.hits[host + path] = server.hits.get(host + path, 0) + 1
                else:
                    server.hits[path] = server.hits.get(path, 0) + 1
                server.times.append(time.monotonic())
                route = server.routes.get(path)
                if route is None and path.startswith(("/bomb/", "/chain/", "/slow/")):
                    route = server._endless
                if route is None:
                    server._send(self, 404, b"not found", "text/plain")
                else:
                    route(self)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler

    @staticmethod
    def _send(h: BaseHTTPRequestHandler, status: int, body: bytes, ctype: str,
              headers: dict[str, str] | None = None) -> None:
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            h.send_header(key, value)
        h.end_headers()
        h.wfile.write(body)

    def _endless(self, h: BaseHTTPRequestHandler) -> None:
        """Sitemap indexes that never end: /bomb/N names three new ones, /chain/N one deeper,
        /slow/N three new ones after a second's wait."""
        kind, _, number = h.path.strip("/").partition("/")
        n = int(number.removesuffix(".xml") or 0)
        if kind == "slow":
            time.sleep(1)
        children = [n + 1] if kind == "chain" else [3 * n + 1, 3 * n + 2, 3 * n + 3]
        self._send(h, 200, _index([f"/{kind}/{c}.xml" for c in children], self.base), "application/xml")

    @staticmethod
    def _page(h: BaseHTTPRequestHandler) -> None:
        body = f"<html><body><article><h1>Page</h1><p>{h.path}. {WORDS}</p></article></body></html>"
        FaultServer._send(h, 200, body.encode(), "text/html; charset=utf-8")

    @staticmethod
    def _timeout(h: BaseHTTPRequestHandler) -> None:
        time.sleep(6)  # longer than the test's DOWNLOAD_TIMEOUT
        FaultServer._send(h, 200, b"too late", "text/plain")

    @staticmethod
    def _reset(h: BaseHTTPRequestHandler) -> None:
        h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        h.connection.close()  # RST: the connection is reset, no answer at all

    @staticmethod
    def _redirect(h: BaseHTTPRequestHandler, to: str) -> None:
        FaultServer._send(h, 302, b"", "text/plain", {"Location": to})

    @staticmethod
    def _huge(h: BaseHTTPRequestHandler) -> None:
        size = 50 * 1024 * 1024
        h.send_response(200)
        h.send_header("Content-Type", "application/rss+xml")
        h.send_header("Content-Length", str(size))
        h.end_headers()
        chunk = b"<!-- padding -->" * 4096
        try:
            for _ in range(size // len(chunk)):
                h.wfile.write(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up, as it should
