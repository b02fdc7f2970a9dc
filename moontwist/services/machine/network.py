"""``network`` and ``canbus`` of ``machine.system_info``, from sysfs and /proc/net.

IPv4 addresses come from the kernel's local routing table (``fib_trie``),
matched to an interface by its routes; IPv6 addresses from ``if_inet6``. No
process is spawned.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from moontwist.services.machine.host import HostPaths, read_int, read_stripped, read_text

ARPHRD_ETHER = 1
ARPHRD_CAN = 280


def interface_types(paths: HostPaths) -> dict[str, int | None]:
    """Every interface in /sys/class/net with its ARP hardware type."""
    base = paths.sys("class", "net")
    try:
        names = sorted(entry.name for entry in base.iterdir())
    except OSError:
        return {}
    return {name: read_int(base / name / "type") for name in names}


def is_up(paths: HostPaths, name: str) -> bool:
    """The kernel's operational state (what ``ip`` shows as ``state UP``)."""
    return read_stripped(paths.sys("class", "net", name, "operstate")) == "up"


def network(paths: HostPaths) -> dict[str, Any]:
    """Interfaces as Moonraker lists them: Ethernet type (wired or Wi-Fi), up, with an address."""
    types = interface_types(paths)
    addresses = ipv4_addresses(paths)
    for name, found in ipv6_addresses(paths).items():
        addresses.setdefault(name, []).extend(found)
    result = {}
    for name, kind in types.items():
        if kind != ARPHRD_ETHER or not addresses.get(name) or not is_up(paths, name):
            continue
        result[name] = {
            "mac_address": read_stripped(paths.sys("class", "net", name, "address")) or "",
            "ip_addresses": addresses.get(name, []),
        }
    return result


def canbus(paths: HostPaths) -> dict[str, Any]:
    """CAN interfaces that are up. The bitrate is not in sysfs (netlink only): null."""
    result = {}
    for name, kind in interface_types(paths).items():
        if kind != ARPHRD_CAN or not is_up(paths, name):
            continue
        base = paths.sys("class", "net", name)
        driver = base / "device" / "driver"
        result[name] = {
            "tx_queue_len": read_int(base / "tx_queue_len"),
            "bitrate": None,
            "driver": driver.resolve().name if driver.exists() else "",
        }
    return result


def _entry(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> dict[str, Any]:
    family = "ipv4" if address.version == 4 else "ipv6"
    return {"family": family, "address": str(address), "is_link_local": address.is_link_local}


def local_ipv4(paths: HostPaths) -> list[ipaddress.IPv4Address]:
    """Addresses the kernel lists as ``/32 host LOCAL`` in fib_trie, in order."""
    found: list[ipaddress.IPv4Address] = []
    last: str | None = None
    for line in (read_text(paths.proc("net", "fib_trie")) or "").splitlines():
        text = line.strip()
        if text.startswith("|--"):
            last = text[3:].strip()
        elif last is not None and text.startswith("/32 host LOCAL"):
            try:
                address = ipaddress.IPv4Address(last)
            except ValueError:
                continue
            if address not in found:
                found.append(address)
    return found


def ipv4_routes(paths: HostPaths) -> list[tuple[str, ipaddress.IPv4Network]]:
    """Non-default routes of /proc/net/route, most specific first."""
    routes = []
    for line in (read_text(paths.proc("net", "route")) or "").splitlines()[1:]:
        fields = line.split()
        if len(fields) < 8:
            continue
        try:
            destination = int.from_bytes(bytes.fromhex(fields[1]), "little")
            mask = int.from_bytes(bytes.fromhex(fields[7]), "little")
            prefix = bin(mask).count("1")
            net = ipaddress.IPv4Network((destination, prefix), strict=False)
        except ValueError:
            continue
        if prefix:
            routes.append((fields[0], net))
    return sorted(routes, key=lambda route: -route[1].prefixlen)


def ipv4_addresses(paths: HostPaths) -> dict[str, list[dict[str, Any]]]:
    routes = ipv4_routes(paths)
    result: dict[str, list[dict[str, Any]]] = {}
    for address in local_ipv4(paths):
        for name, net in routes:
            if address in net:
                result.setdefault(name, []).append(_entry(address))
                break
    return result


def ipv6_addresses(paths: HostPaths) -> dict[str, list[dict[str, Any]]]:
    result: dict[str, list[dict[str, Any]]] = {}
    for line in (read_text(paths.proc("net", "if_inet6")) or "").splitlines():
        fields = line.split()
        if len(fields) < 6:
            continue
        try:
            address = ipaddress.IPv6Address(bytes.fromhex(fields[0]))
        except ValueError:
            continue
        result.setdefault(fields[5], []).append(_entry(address))
    return result
