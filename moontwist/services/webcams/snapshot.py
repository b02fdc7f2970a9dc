"""``server.webcams.test``: a webcam's URLs as this host reaches them, and one snapshot GET.

As in Moonraker: a URL without a scheme and host is taken on the default host
(this machine's LAN address, found as Moonraker finds it: the source address
the kernel picks for a UDP socket "connected" to the broadcast address, which
sends nothing);
a URL naming one of this machine's own addresses, on a port some program here
listens on for every address, becomes the loopback URL (``127.0.0.1`` or
``[::1]``, port spelled out), which works even where the LAN address does not
route back. The listening ports come from ``/proc/net/tcp*`` (Moonraker runs
``ss -ltn``).
"""

from __future__ import annotations

import ipaddress
import re
import socket
from typing import Any, Callable

from twisted.internet.threads import deferToThread
from twisted.logger import Logger

from moontwist.services.machine.host import HostPaths, read_text
from moontwist.services.webcams.camera import Webcam

log = Logger()

DEFAULT_HOST = "http://127.0.0.1"
DEFAULT_PORTS = {"http": "80", "https": "443", "rtsp": "554"}
# Moonraker gives the snapshot 1 s to connect and 1 s to answer.
SNAPSHOT_TIMEOUT = 2.0
TCP_LISTEN = "0A"
_HAS_HOST = re.compile(r"\w+://[^/]+")
_PARTS = re.compile(r"(\w+)://([^/]+)(/.*)?")
_IPV6_HOST = re.compile(r"\[(.+)\](:\d+)?")
_HOST = re.compile(r"([^:]+)(:\d+)?")


def absolute(url: str, default_host: str = DEFAULT_HOST) -> str:
    """``url`` with a scheme and host; ValueError for an empty one."""
    if not url:
        raise ValueError("Empty URL Provided")
    if _HAS_HOST.match(url) is None:
        return f"{default_host}/{url.lstrip('/')}"
    return url


def detect_default_host() -> str:
    """``http://<this machine's LAN address>``, or loopback when there is none."""
    for address, port, family in (("<broadcast>", 0, socket.AF_INET), ("10.255.255.255", 1, socket.AF_INET),
                                  ("2001:db8::1234", 1, socket.AF_INET6)):
        probe = socket.socket(family, socket.SOCK_DGRAM | socket.SOCK_NONBLOCK)
        try:
            if address == "<broadcast>":
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
            probe.connect((address, port))
            found = ipaddress.ip_address(probe.getsockname()[0])
        except (OSError, ValueError):
            continue
        finally:
            probe.close()
        return f"http://[{found}]" if found.version == 6 else f"http://{found}"
    return DEFAULT_HOST


def wildcard_ports(paths: HostPaths) -> dict[str, str]:
    """Listening TCP ports bound to every address: port -> ``0.0.0.0`` or ``[::]``."""
    ports: dict[str, str] = {}
    for name, anywhere in (("tcp6", "[::]"), ("tcp", "0.0.0.0")):
        for line in (read_text(paths.proc("net", name)) or "").splitlines()[1:]:
            fields = line.split()
            if len(fields) < 4 or fields[3] != TCP_LISTEN:
                continue
            address, _, port = fields[1].partition(":")
            if address.strip("0") == "":
                ports[str(int(port, 16))] = anywhere
    return ports


class SnapshotProbe:
    """Resolves a webcam's URLs and checks that its snapshot answers."""

    def __init__(self, reactor: Any, local_addresses: Callable[[], list[str]], paths: HostPaths = HostPaths(),
                 default_host: Callable[[], str] = detect_default_host) -> None:
        self.reactor = reactor
        self.local_addresses = local_addresses
        self.paths = paths
        self.default_host = default_host

    async def test(self, webcam: Webcam) -> dict[str, Any]:
        result: dict[str, Any] = {"name": webcam.name, "snapshot_reachable": False}
        default_host = self.default_host()
        for kind, url in (("snapshot", webcam.snapshot_url), ("stream", webcam.stream_url)):
            try:
                result[f"{kind}_url"] = await self.local_url(absolute(url, default_host))
            except ValueError as error:
                log.info("Webcam {name}: no {kind} URL ({error})", name=webcam.name, kind=kind, error=error)
                result[f"{kind}_url"] = ""
        snapshot: str = result["snapshot_url"]
        if snapshot.startswith("http"):
            result["snapshot_reachable"] = await self.reachable(snapshot)
        return result

    async def reachable(self, url: str) -> bool:
        # Imported on first use, not at start-up: treq brings twisted.web.client (~30 ms).
        import treq

        try:
            response = await treq.get(url, timeout=SNAPSHOT_TIMEOUT, reactor=self.reactor, persistent=False)
            await response.content()
        except Exception as error:
            log.info("Snapshot {url} not reachable: {error}", url=url, error=error)
            return False
        return 200 <= int(response.code) < 300

    async def local_url(self, url: str) -> str:
        match = _PARTS.match(url)
        if match is None:
            return url
        scheme, host, path = match.group(1), match.group(2), match.group(3) or ""
        host_match = (_IPV6_HOST if host.startswith("[") else _HOST).match(host)
        if host_match is None:
            return url
        address, port = host_match.group(1), host_match.group(2)
        if port is None:
            if scheme not in DEFAULT_PORTS:
                return url
            port = DEFAULT_PORTS[scheme]
        else:
            port = port.lstrip(":")
        address = await self._resolve(address, int(port))
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return url
        if ip.is_loopback or address not in self.local_addresses():
            return url
        anywhere = wildcard_ports(self.paths).get(port)
        if anywhere == "[::]":
            return f"{scheme}://[::1]:{port}{path}"
        if anywhere == "0.0.0.0":
            return f"{scheme}://127.0.0.1:{port}{path}"
        return url

    async def _resolve(self, host: str, port: int) -> str:
        try:
            ipaddress.ip_address(host)
            return host
        except ValueError:
            pass
        try:
            found = await deferToThread(socket.getaddrinfo, host, port)
        except OSError:
            return host
        return str(found[0][4][0]) if found else host
