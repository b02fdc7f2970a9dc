"""The wled service's start-up: a strip that fails in any way is an error state, never the service's failure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from twisted.internet.testing import MemoryReactorClock
from twisted.logger import globalLogPublisher
from twisted.trial.unittest import SynchronousTestCase

from moontwist.config import load_config
from moontwist.services.wled import WledService
from moontwist.services.wled.http_strip import HttpStrip
from moontwist.services.wled.options import WLED, WLED_HTTP
from tests.services.klippy.fakes import start_service


class FaultyStrip(HttpStrip):
    """A strip whose delivery fails with an error no strip is meant to raise (a bug, a library's surprise)."""

    async def send(self, state: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("unexpected failure")


class StartupTests(SynchronousTestCase):
    def service(self, config: str) -> WledService:
        self.reactor = MemoryReactorClock()
        self.ctx, klippy = start_service(self.reactor)
        folder = Path(self.mktemp())
        folder.mkdir()
        (folder / "moonraker.conf").write_text("[server]\n" + config)
        self.ctx.config = load_config(folder / "moonraker.conf", folder)
        return WledService(self.ctx)

    def test_host_port_in_the_address_builds_the_url(self) -> None:
        wled = self.service("[wled a]\naddress: 127.0.0.1:9\n[wled b]\naddress: 10.0.0.2\nport: 8080\n"
                            "[wled c]\naddress: ::1\n")
        self.assertEqual([strip.url for strip in wled.strips.values()],  # type: ignore[attr-defined]
                         ["http://127.0.0.1:9/json", "http://10.0.0.2:8080/json", "http://[::1]:80/json"])

    def test_a_bad_port_in_the_address_is_a_warning(self) -> None:
        wled = self.service("[wled a]\naddress: 127.0.0.1:http\n")
        self.assertEqual(wled.strips, {})
        self.assertEqual(self.ctx.warnings, ["Failed to initialise strip [wled a]\nSection [wled a], Option "
                                             "address: 127.0.0.1:http: invalid port 'http'"])

    def test_any_startup_error_of_a_strip_is_its_logged_error_state(self) -> None:
        wled = self.service("[wled a]\naddress: 127.0.0.1:9\n")
        section = self.ctx.config.section("wled a")
        strip = FaultyStrip("a", {**WLED.read(section), **WLED_HTTP.read(section)}, self.reactor)
        wled.strips["a"] = strip
        logged: list[dict[str, Any]] = []
        globalLogPublisher.addObserver(logged.append)
        self.addCleanup(globalLogPublisher.removeObserver, logged.append)
        wled.startService()
        self.addCleanup(wled.stopService)
        self.assertEqual(strip.error_state, "WLED: Error unexpected failure")
        self.assertIn("WLED strip a failed to start: unexpected failure",
                      [event.get("log_format", "").format(**event) for event in logged
                       if event.get("log_level") is not None and event["log_level"].name == "error"])
        status = strip.info()
        self.assertEqual((status["error"], status["status"]), ("WLED: Error unexpected failure", "off"))
