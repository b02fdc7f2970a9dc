"""Configuration the update manager refuses: the server still starts and says why."""

from __future__ import annotations

import json

from twisted.trial.unittest import TestCase

from tests.integration.clients import http_client
from tests.integration.daemon import BASE_CONFIG, start_daemon


class ConfigTests(TestCase):
    timeout = 30

    async def failed(self, config: str) -> tuple[list[str], str]:
        daemon = await start_daemon(self, config + "\n" + BASE_CONFIG)
        response = await http_client(None).get(f"{daemon.http_url}/server/info")
        info = json.loads(await response.content())["result"]
        missing = await http_client(None).get(f"{daemon.http_url}/machine/update/status")
        self.assertEqual(missing.code, 404)
        return info["failed_components"], " ".join(info["warnings"])

    async def test_a_refresh_window_with_equal_hours_fails_the_component(self) -> None:
        failed, warnings = await self.failed("[update_manager]\nrefresh_window: 3-3\n")
        self.assertEqual(failed, ["update_manager"])
        self.assertIn("The start and end hours specified in 'refresh_window' cannot be the same.", warnings)

    async def test_an_unknown_type_and_a_foreign_managed_service_fail_the_component(self) -> None:
        _, warnings = await self.failed("[update_manager]\n[update_manager thing]\ntype: rpm\npath: /tmp\n")
        self.assertIn("type 'rpm' is not supported", warnings)
        _, warnings = await self.failed("[update_manager]\n[update_manager crowsnest]\ntype: web\n"
                                        "repo: a/b\npath: /tmp/x\nmanaged_services: sshd\n")
        self.assertIn("Option 'managed_services': invalid service 'sshd'", warnings)
