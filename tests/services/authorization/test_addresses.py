from typing import Any

from twisted.internet.defer import Deferred, succeed
from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from moontwist.services.authorization.addresses import (
    LOOKUP_TIMEOUT, AddressSet, TrustedClients, client_address, parse_ip,
)


def entries(*items: str) -> tuple[AddressSet, list[str]]:
    warnings: list[str] = []
    return AddressSet("trusted_clients", items, warnings), warnings


class AddressSetTests(SynchronousTestCase):
    def test_ips_and_ranges_match(self) -> None:
        addresses, warnings = entries("192.168.1.7", "10.1.0.0/16", "::1/128")
        self.assertEqual(warnings, [])
        for ip in ["192.168.1.7", "10.1.200.3", "::1", "::ffff:10.1.0.1"]:
            self.assertTrue(addresses.contains_ip(parse_ip(ip)), ip)
        for ip in ["192.168.1.8", "10.2.0.1", "127.0.0.1"]:
            self.assertFalse(addresses.contains_ip(parse_ip(ip)), ip)

    def test_range_with_host_bits_is_ignored_with_a_warning(self) -> None:
        addresses, warnings = entries("192.168.1.1/24")
        self.assertFalse(addresses.contains_ip(parse_ip("192.168.1.5")))
        self.assertIn("invalid trusted_clients entry '192.168.1.1/24'", warnings[0])

    def test_range_wider_than_a_private_network_is_a_warning(self) -> None:
        _, warnings = entries("192.0.0.0/8", "192.168.0.0/16", "0.0.0.0/0", "fd00::/8")
        self.assertEqual(len(warnings), 2)
        self.assertIn("range 192.0.0.0/8 is wider than a private network", warnings[0])
        self.assertIn("range 0.0.0.0/0", warnings[1])

    def test_bad_entries_warn_and_hostnames_are_kept(self) -> None:
        addresses, warnings = entries("printer.lan", "Bad_Name!", "localhost")
        self.assertEqual(addresses.hostnames, {"printer.lan", "localhost"})
        self.assertEqual(warnings, ["[authorization]: invalid trusted_clients entry 'Bad_Name!'; ignored"])


class TrustedClientTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.clock = Clock()
        self.lookups: list[str] = []
        self.pending: Deferred[Any] | None = None

    def trusted(self, *items: str, answer: str | None = "laptop.lan") -> TrustedClients:
        def lookup(ip: str) -> "Deferred[str | None]":
            self.lookups.append(ip)
            if self.pending is not None:
                return self.pending
            return succeed(answer)

        return TrustedClients(entries(*items)[0], self.clock, lookup)

    def test_hostname_matches_by_confirmed_lookup_and_is_cached(self) -> None:
        trusted = self.trusted("laptop.lan")
        self.assertTrue(self.successResultOf(trusted.is_trusted("192.168.1.20")))
        self.assertTrue(self.successResultOf(trusted.is_trusted("192.168.1.20")))
        self.assertEqual(self.lookups, ["192.168.1.20"])

    def test_hostname_without_a_confirmed_name_is_not_trusted(self) -> None:
        trusted = self.trusted("laptop.lan", answer=None)
        self.assertFalse(self.successResultOf(trusted.is_trusted("192.168.1.20")))

    def test_lookup_that_takes_too_long_is_not_trusted(self) -> None:
        self.pending = Deferred()
        trusted = self.trusted("laptop.lan")
        outcome = trusted.is_trusted("192.168.1.20")
        self.assertNoResult(outcome)
        self.clock.advance(LOOKUP_TIMEOUT)
        self.assertFalse(self.successResultOf(outcome))

    def test_no_lookup_without_hostname_entries_or_for_bad_addresses(self) -> None:
        trusted = self.trusted("10.0.0.0/8")
        self.assertFalse(self.successResultOf(trusted.is_trusted("192.168.1.20")))
        self.assertFalse(self.successResultOf(trusted.is_trusted(None)))
        self.assertFalse(self.successResultOf(trusted.is_trusted("not an ip")))
        self.assertEqual(self.lookups, [])


class ClientAddressTests(SynchronousTestCase):
    proxies = AddressSet("trusted_proxies", ["127.0.0.1", "10.9.0.0/16"], [], allow_hostnames=False)

    def test_forwarding_headers_from_an_untrusted_peer_are_ignored(self) -> None:
        self.assertEqual(client_address("203.0.113.9", "192.168.1.5", "192.168.1.5", self.proxies),
                         "203.0.113.9")

    def test_rightmost_address_no_proxy_vouches_for_is_the_client(self) -> None:
        forwarded = "127.0.0.1, 203.0.113.9, 10.9.0.4"
        self.assertEqual(client_address("127.0.0.1", forwarded, None, self.proxies), "203.0.113.9")

    def test_real_ip_is_used_without_forwarded_for(self) -> None:
        self.assertEqual(client_address("127.0.0.1", None, "192.168.1.5", self.proxies), "192.168.1.5")

    def test_unreadable_forwarding_header_gives_no_address(self) -> None:
        self.assertIsNone(client_address("127.0.0.1", "192.168.1.5, junk", None, self.proxies))
        self.assertIsNone(client_address("127.0.0.1", None, "junk", self.proxies))

    def test_proxy_without_headers_is_itself_the_client(self) -> None:
        self.assertEqual(client_address("127.0.0.1", None, None, self.proxies), "127.0.0.1")

    def test_ipv4_mapped_peer_is_plain_ipv4(self) -> None:
        self.assertEqual(client_address("::ffff:192.168.1.5", None, None, self.proxies), "192.168.1.5")
