"""[zeroconf]: the printer announced over real mDNS and found by a real zeroconf browser."""

from __future__ import annotations

import os
import sys
import uuid

from twisted.internet.threads import deferToThread
from twisted.internet.utils import getProcessOutputAndValue
from twisted.trial.unittest import TestCase
from zeroconf import IPVersion, Zeroconf

from tests.integration.daemon import BASE_CONFIG, start_daemon
from tests.integration.process import REPO, wait_for

SERVICE_TYPE = "_moonraker._tcp.local."


def look_up(name: str, timeout_ms: int) -> object:
    browser = Zeroconf(ip_version=IPVersion.V4Only)
    try:
        return browser.get_service_info(SERVICE_TYPE, name, timeout=timeout_ms)
    finally:
        browser.close()


class ZeroconfTests(TestCase):
    timeout = 60

    async def test_announced_with_port_and_uuid_then_withdrawn(self) -> None:
        hostname = f"mt-{uuid.uuid4().hex[:8]}"
        daemon = await start_daemon(self, BASE_CONFIG + f"\n[zeroconf]\nmdns_hostname: {hostname}\n")
        service = daemon.ctx.component("zeroconf")
        await wait_for(lambda: service.announcement.called, timeout=20)
        name = service.info.name
        self.assertTrue(name.endswith(f" @ {hostname}.{SERVICE_TYPE}"), name)
        found = await deferToThread(look_up, name, 5000)
        self.assertIsNotNone(found)
        self.assertEqual(found.port, daemon.port_of("http"))
        self.assertEqual(found.properties[b"uuid"], (daemon.data_path / ".moonraker.uuid").read_text().encode())
        self.assertEqual(found.server, f"{hostname}.local.")
        self.assertEqual(found.parsed_addresses(), ["127.0.0.1"])
        await daemon.service.stopService()
        self.assertIsNone(await deferToThread(look_up, name, 1000))

    async def test_zeroconf_is_not_imported_without_the_section(self) -> None:
        out, err, code = await getProcessOutputAndValue(
            sys.executable, ["-c", "import sys, moontwist.app; print('zeroconf' in sys.modules)"],
            env={**os.environ, "PYTHONPATH": str(REPO)})
        self.assertEqual((code, out.strip()), (0, b"False"), err)
