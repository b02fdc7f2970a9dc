"""``address`` of a networked device (power devices, WLED strips): ``host``, ``host:port`` or ``host/path``.

Moonraker always uses the ``port`` option (or the protocol's port); a ``:port``
in the address is our extension, and wins over the option.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from moontwist.config import ConfigError


@dataclass(frozen=True)
class DeviceAddress:
    host: str
    port: int | None
    path: str

    def netloc(self, default_port: int) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port if self.port is not None else default_port}"


def parse_address(section_name: str, address: str) -> DeviceAddress:
    parts = address.strip().strip("/").split("/")
    location, path = parts[0], "/".join(quote(part) for part in parts[1:])
    port: int | None = None
    host = location
    if location.startswith("["):
        host, _, rest = location[1:].partition("]")
        if rest.startswith(":"):
            port = _port(section_name, address, rest[1:])
    elif location.count(":") == 1:
        host, _, text = location.partition(":")
        port = _port(section_name, address, text)
    if not host or any(character.isspace() for character in host):
        raise ConfigError(f"Section [{section_name}], Option address: {address}: invalid address")
    return DeviceAddress(host, port, path)


def _port(section_name: str, address: str, text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ConfigError(f"Section [{section_name}], Option address: {address}: invalid port '{text}'")
    return int(text)
