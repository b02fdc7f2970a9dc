"""Where Spoolman is: ``[spoolman] server`` as its REST base and its websocket."""

from __future__ import annotations

import re
from dataclasses import dataclass

from hyperlink import URL, URLParseError

_SERVER = re.compile(r"(?i:(?P<scheme>https?)://)?(?P<host>.+)")


class InvalidServerUrl(ValueError):
    """``[spoolman] server`` is not a URL Spoolman can be reached at."""


@dataclass(frozen=True)
class SpoolmanUrls:
    api: str
    """``http(s)://host[:port][/prefix]/api``: proxied paths (``/v1/...``) are appended."""
    websocket: str
    """``ws(s)://.../api/v1/spool``: open while Spoolman is reachable."""
    host: str
    port: int
    tls: bool


def parse_server(value: str) -> SpoolmanUrls:
    """As Moonraker reads it: the scheme is optional (http), a path prefix is kept."""
    match = _SERVER.fullmatch(value.strip())
    if match is None:
        raise InvalidServerUrl(value)
    scheme = (match["scheme"] or "http").lower()
    rest = match["host"].rstrip("/")
    if any(character.isspace() for character in rest):
        raise InvalidServerUrl(value)
    try:
        url = URL.from_text(f"{scheme}://{rest}")
        port = url.port
    except (URLParseError, ValueError):
        raise InvalidServerUrl(value) from None
    if not url.host or port is None or not 0 < port < 65536 or url.query or url.fragment:
        raise InvalidServerUrl(value)
    socket_scheme = "wss" if scheme == "https" else "ws"
    return SpoolmanUrls(
        api=f"{scheme}://{rest}/api",
        websocket=f"{socket_scheme}://{rest}/api/v1/spool",
        host=url.host,
        port=port,
        tls=scheme == "https",
    )
