"""``cors_domains``: which web origins may call the API from a browser.

Moonraker's rules: ``*`` stands for any run of characters, the whole origin
must match, ``*`` alone allows every origin, and entries with a wildcard in
the top-level domain (``http://printer.*``) or a trailing ``/`` are refused
with a warning. An origin ``http(s)://<ip>[:port]`` whose address is a
trusted client is allowed too.
"""

from __future__ import annotations

import re
from typing import Callable, Iterable
from urllib.parse import urlsplit

from moontwist.services.authorization.addresses import IPAddress, parse_ip

ALLOW_METHODS = b"GET, POST, PUT, DELETE, OPTIONS"
ALLOW_HEADERS = (b"Origin, Accept, Content-Type, X-Requested-With, X-CRSF-Token, Authorization, "
                 b"X-Access-Token, X-Api-Key")


class CorsPolicy:
    """Decides whether an ``Origin`` is allowed."""

    def __init__(self, domains: Iterable[str], trusted_ip: Callable[[IPAddress], bool],
                 warnings: list[str]) -> None:
        self.allow_all = False
        self._patterns: list[re.Pattern[str]] = []
        self._trusted_ip = trusted_ip
        for domain in domains:
            self._add(domain.strip(), warnings)

    def _add(self, domain: str, warnings: list[str]) -> None:
        if domain == "*":
            self.allow_all = True
            return
        if domain.endswith("/") or _wildcard_in_top_level_domain(domain):
            warnings.append(f"[authorization]: invalid cors_domains entry '{domain}' (wildcard in the "
                            "top-level domain, or a trailing '/'); ignored")
            return
        pattern = re.escape(domain.lower()).replace(r"\*", ".*")
        self._patterns.append(re.compile(pattern))

    def allows(self, origin: str) -> bool:
        if self.allow_all:
            return True
        lowered = origin.lower()
        if any(pattern.fullmatch(lowered) for pattern in self._patterns):
            return True
        return self._is_trusted_ip_origin(lowered)

    def _is_trusted_ip_origin(self, origin: str) -> bool:
        try:
            parts = urlsplit(origin)
            parts.port
        except ValueError:
            return False
        if parts.scheme not in ("http", "https") or parts.path or parts.query or parts.username:
            return False
        address = parse_ip(parts.hostname)
        return address is not None and self._trusted_ip(address)


def same_origin(origin: str, host: str | None, secure: bool) -> bool:
    """Whether ``origin`` names the host and port the request was sent to."""
    if not host:
        return False
    try:
        origin_parts = urlsplit(origin.lower())
        host_parts = urlsplit("//" + host.lower())
        origin_port = origin_parts.port or _default_port(origin_parts.scheme)
        host_port = host_parts.port or (443 if secure else 80)
    except ValueError:
        return False
    return (origin_parts.scheme in ("http", "https") and origin_parts.hostname is not None
            and origin_parts.hostname == host_parts.hostname and origin_port == host_port)


def _default_port(scheme: str) -> int | None:
    return {"http": 80, "https": 443}.get(scheme)


def _wildcard_in_top_level_domain(domain: str) -> bool:
    """A ``*`` whose nearest preceding separator is a ``.`` (``printer.*``, ``a.lo*``)."""
    for index, character in enumerate(domain):
        if character == "*":
            before = domain[:index]
            if before.rfind(".") > before.rfind(":"):
                return True
    return False
