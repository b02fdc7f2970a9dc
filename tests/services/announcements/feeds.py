"""RSS documents as Moonraker's feed site serves them, and a feed server on loopback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from twisted.internet import reactor
from twisted.internet.ssl import DefaultOpenSSLContextFactory
from twisted.trial.unittest import TestCase
from twisted.web.resource import Resource
from twisted.web.server import Request, Site

from tests.integration.certs import write_self_signed


def item(guid: str, title: str, date: str = "Wed, 01 Jan 2025 12:00:00 GMT", priority: str = "normal") -> str:
    return (f"<item><title>{title}</title><link>https://example.org/{title}</link>"
            f"<description>About {title}</description><pubDate>{date}</pubDate>"
            f"<category>{priority}</category><guid>{guid}</guid></item>")


def rss(prefix: str, *items: str) -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
            f'xmlns:moonlight="https://arksine.github.io/moonlight"><channel><title>{prefix}</title>'
            f'<link>https://example.org</link><description>feed</description>{"".join(items)}</channel></rss>')


class FeedResource(Resource):
    """``/assets/<name>.xml`` with an ETag per version; If-None-Match answers 304."""

    isLeaf = True

    def __init__(self) -> None:
        super().__init__()
        self.documents: dict[str, str] = {}
        self.versions: dict[str, int] = {}
        self.requests: list[tuple[str, str | None]] = []

    def publish(self, name: str, document: str) -> None:
        self.documents[name] = document
        self.versions[name] = self.versions.get(name, 0) + 1

    def render_GET(self, request: Request) -> bytes:
        path = request.path.decode()
        name = path.rsplit("/", 1)[-1].removesuffix(".xml")
        etag_sent = request.getHeader("if-none-match")
        self.requests.append((path, etag_sent))
        if name not in self.documents:
            request.setResponseCode(404)
            return b"not found"
        etag = f'"{name}-{self.versions[name]}"'
        if etag_sent == etag:
            request.setResponseCode(304)
            return b""
        request.setHeader("etag", etag)
        request.setHeader("content-type", "application/xml")
        return self.documents[name].encode()


def serve_feeds(test: TestCase) -> tuple[FeedResource, str, Any]:
    """A feed server on a loopback port; its base URL (as Moonraker's feed site's)."""
    feeds = FeedResource()
    port = reactor.listenTCP(0, Site(feeds), interface="127.0.0.1")
    test.addCleanup(port.stopListening)
    return feeds, f"http://127.0.0.1:{port.getHost().port}/moonlight", port


def serve_feeds_over_tls(test: TestCase, folder: Path) -> tuple[FeedResource, str, Path]:
    """``serve_feeds`` over HTTPS with a certificate for ``localhost`` made for the test;
    the base URL and the certificate (to trust, or not)."""
    cert, key = write_self_signed(folder)
    feeds = FeedResource()
    port = reactor.listenSSL(0, Site(feeds), DefaultOpenSSLContextFactory(str(key), str(cert)),
                             interface="127.0.0.1")
    test.addCleanup(port.stopListening)
    return feeds, f"https://localhost:{port.getHost().port}/moonlight", cert
