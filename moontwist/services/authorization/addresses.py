"""Client addresses: which ones are trusted, and which address a request comes from.

``trusted_clients`` entries are IP addresses, CIDR ranges or host names. A
host name matches an address by forward-confirmed reverse DNS: the address's
name must be the entry and that name must resolve back to the address (a PTR
record alone is chosen by whoever owns the address, so it proves nothing).

The client address is the TCP peer, except when the peer is one of the
``trusted_proxies``: only then do ``X-Forwarded-For`` (preferred) or
``X-Real-IP`` say who the client is.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import socket
from typing import Any, Callable, Iterable

from twisted.internet.defer import Deferred, succeed
from twisted.internet.interfaces import IReactorTime
from twisted.internet.threads import deferToThread
from twisted.logger import Logger

log = Logger()

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

LOOKUP_TIMEOUT = 5.0
LOOKUP_CACHE_SECONDS = 84_000.0
MAX_CACHED_NAMES = 4096
_HOSTNAME = re.compile(r"^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)*[a-z]([a-z0-9-]*[a-z0-9])?$")
# Ranges a home network lives in; a trusted range reaching outside them is worth a warning.
PRIVATE_NETWORKS = tuple(ipaddress.ip_network(n) for n in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "169.254.0.0/16",
    "fc00::/7", "fe80::/10", "::1/128",
))


@functools.lru_cache(maxsize=1024)
def parse_ip(text: str | None) -> IPAddress | None:
    """An address, with IPv4-mapped IPv6 (``::ffff:a.b.c.d``) turned into IPv4; None if invalid.

    Cached: every request parses its client's address, and clients repeat.
    """
    if not text:
        return None
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def forward_confirmed_name(ip: str) -> str | None:
    """The host name of ``ip`` if it resolves back to ``ip`` (blocking: run in a thread)."""
    name = socket.getfqdn(ip).lower()
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(name, None)}
    except OSError:
        return None
    return name if ip in addresses else None


class AddressSet:
    """IPs, networks and host names parsed from a config list, with warnings for bad entries."""

    def __init__(self, option: str, entries: Iterable[str], warnings: list[str],
                 allow_hostnames: bool = True) -> None:
        self.addresses: set[IPAddress] = set()
        self.networks: list[IPNetwork] = []
        self.hostnames: set[str] = set()
        self._allow_hostnames = allow_hostnames
        self._answers: dict[IPAddress, bool] = {}
        for entry in entries:
            self._add(option, entry, warnings)

    def _add(self, option: str, entry: str, warnings: list[str]) -> None:
        address = parse_ip(entry)
        if address is not None:
            self.addresses.add(address)
            return
        if "/" in entry:
            try:
                network = ipaddress.ip_network(entry)
            except ValueError:
                warnings.append(f"[authorization]: invalid {option} entry '{entry}' (host bits set "
                                "or not a network); ignored")
                return
            self.networks.append(network)
            if not any(_within(network, private) for private in PRIVATE_NETWORKS):
                warnings.append(f"[authorization]: {option} range {entry} is wider than a private "
                                "network; every address in it is trusted without a login")
            return
        if self._allow_hostnames and _HOSTNAME.match(entry):
            self.hostnames.add(entry)
            return
        warnings.append(f"[authorization]: invalid {option} entry '{entry}'; ignored")

    def contains_ip(self, address: IPAddress | None) -> bool:
        """Membership by address or range (no name lookups)."""
        if address is None:
            return False
        answer = self._answers.get(address)
        if answer is None:
            if len(self._answers) >= MAX_CACHED_NAMES:
                self._answers.clear()
            answer = self._answers[address] = (
                address in self.addresses or any(address in network for network in self.networks))
        return answer


class TrustedClients:
    """``trusted_clients``: answers whether an address is trusted, looking names up if needed."""

    def __init__(self, entries: AddressSet, clock: IReactorTime,
                 lookup: Callable[[str], "Deferred[str | None]"] | None = None) -> None:
        self.entries = entries
        self._clock = clock
        self._lookup = lookup or (lambda ip: deferToThread(forward_confirmed_name, ip))
        self._names: dict[str, tuple[str | None, float]] = {}

    def contains_ip(self, ip: str | None) -> bool:
        return self.entries.contains_ip(parse_ip(ip))

    def is_trusted(self, ip: str | None) -> "Deferred[bool]":
        known = self.known(ip)
        if known is not None:
            return succeed(known)
        return self._name_of(str(parse_ip(ip))).addCallback(lambda name: name in self.entries.hostnames)

    def known(self, ip: str | None) -> bool | None:
        """Whether ``ip`` is trusted, when that is known without a name lookup (else None)."""
        address = parse_ip(ip)
        if address is None:
            return False
        if self.entries.contains_ip(address):
            return True
        if not self.entries.hostnames:
            return False
        cached = self._names.get(str(address))
        if cached is not None and cached[1] > self._clock.seconds():
            return cached[0] in self.entries.hostnames
        return None

    def _name_of(self, ip: str) -> "Deferred[str | None]":
        lookup = self._lookup(ip)
        lookup.addTimeout(LOOKUP_TIMEOUT, self._clock)

        def found(name: str | None) -> str | None:
            if len(self._names) >= MAX_CACHED_NAMES:
                del self._names[next(iter(self._names))]
            self._names[ip] = (name, self._clock.seconds() + LOOKUP_CACHE_SECONDS)
            return name

        def failed(failure: Any) -> None:
            log.warn("Host name lookup for {ip} failed: {error}", ip=ip, error=failure.getErrorMessage())
            return None

        return lookup.addCallbacks(found, failed)


def client_address(peer: str | None, forwarded_for: str | None, real_ip: str | None,
                   proxies: AddressSet) -> str | None:
    """The client's address; None when a trusted proxy sent an unreadable header.

    Walking ``X-Forwarded-For`` from the right and skipping trusted proxies
    finds the first address no proxy of ours vouches for; anything left of it
    was written by the client and is ignored.
    """
    peer_address = parse_ip(peer)
    if peer_address is None or not proxies.contains_ip(peer_address):
        return str(peer_address) if peer_address is not None else peer
    if forwarded_for:
        hops = [parse_ip(hop) for hop in forwarded_for.split(",")]
        if any(hop is None for hop in hops):
            return None
        for hop in reversed(hops):
            if not proxies.contains_ip(hop):
                return str(hop)
        return str(hops[0])
    if real_ip:
        address = parse_ip(real_ip)
        return str(address) if address is not None else None
    return str(peer_address)


def _within(network: IPNetwork, private: IPNetwork) -> bool:
    return network.version == private.version and network.subnet_of(private)  # type: ignore[arg-type]
