from twisted.trial.unittest import SynchronousTestCase

from moontwist.services.authorization.addresses import AddressSet
from moontwist.services.authorization.cors import CorsPolicy, same_origin


def policy(*domains: str) -> tuple[CorsPolicy, list[str]]:
    warnings: list[str] = []
    trusted = AddressSet("trusted_clients", ["192.168.1.0/24"], [])
    return CorsPolicy(domains, trusted.contains_ip, warnings), warnings


class CorsPolicyTests(SynchronousTestCase):
    def test_wildcards_match_whole_origins(self) -> None:
        cors, warnings = policy("*.home", "*://localhost:*", "https://my.mainsail.xyz")
        self.assertEqual(warnings, [])
        for origin in ["http://printer.home", "https://a.b.home", "http://localhost:8080",
                       "https://my.mainsail.xyz", "HTTP://PRINTER.HOME"]:
            self.assertTrue(cors.allows(origin), origin)
        for origin in ["http://printer.home.evil.com", "http://localhost", "https://my.mainsail.xyz.evil",
                       "http://myxmainsail.xyz", "null"]:
            self.assertFalse(cors.allows(origin), origin)

    def test_dots_are_literal(self) -> None:
        cors, _ = policy("http://my.printer")
        self.assertFalse(cors.allows("http://myxprinter"))

    def test_wildcard_in_top_level_domain_and_trailing_slash_are_refused(self) -> None:
        cors, warnings = policy("http://printer.*", "http://printer.lo*", "http://printer.lan/")
        self.assertEqual(len(warnings), 3)
        self.assertFalse(cors.allows("http://printer.lan"))

    def test_star_alone_allows_everything(self) -> None:
        cors, _ = policy("*")
        self.assertTrue(cors.allows("https://anything.example"))

    def test_origin_at_a_trusted_address_is_allowed(self) -> None:
        cors, _ = policy()
        self.assertTrue(cors.allows("http://192.168.1.20:8080"))
        self.assertFalse(cors.allows("http://192.168.2.20"))
        self.assertFalse(cors.allows("ftp://192.168.1.20"))
        self.assertFalse(cors.allows("http://192.168.1.20/path"))


class SameOriginTests(SynchronousTestCase):
    def test_same_host_and_port(self) -> None:
        self.assertTrue(same_origin("http://printer.lan:7125", "printer.lan:7125", False))
        self.assertTrue(same_origin("http://printer.lan", "printer.lan", False))
        self.assertTrue(same_origin("https://printer.lan", "printer.lan", True))

    def test_other_host_port_or_garbage(self) -> None:
        self.assertFalse(same_origin("http://evil.lan:7125", "printer.lan:7125", False))
        self.assertFalse(same_origin("http://printer.lan:8080", "printer.lan:7125", False))
        self.assertFalse(same_origin("null", "printer.lan", False))
        self.assertFalse(same_origin("http://printer.lan", None, False))
        self.assertFalse(same_origin("http://printer.lan:99999", "printer.lan", False))
