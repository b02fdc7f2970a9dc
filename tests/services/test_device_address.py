"""Device addresses: Moonraker's host[/path], and our optional :port."""

from __future__ import annotations

from twisted.trial.unittest import SynchronousTestCase

from moontwist.config import ConfigError
from moontwist.services.device_address import DeviceAddress, parse_address


class AddressTests(SynchronousTestCase):
    def test_forms(self) -> None:
        self.assertEqual(parse_address("power a", "192.168.1.20"), DeviceAddress("192.168.1.20", None, ""))
        self.assertEqual(parse_address("power a", "plug.local:8080/"), DeviceAddress("plug.local", 8080, ""))
        self.assertEqual(parse_address("power a", "hub/api key"), DeviceAddress("hub", None, "api%20key"))
        self.assertEqual(parse_address("power a", "[fe80::1]:81"), DeviceAddress("fe80::1", 81, ""))
        self.assertEqual(parse_address("power a", "fe80::1").netloc(80), "[fe80::1]:80")
        self.assertEqual(parse_address("power a", "plug:9000").netloc(80), "plug:9000")

    def test_bad_ports_and_hosts_are_config_errors(self) -> None:
        for address in ("plug:http", "plug:0", "plug:70000", "", "a b"):
            error = self.assertRaises(ConfigError, parse_address, "power a", address)
            self.assertIn("Section [power a], Option address", str(error))
