"""``GET /metrics`` read with Prometheus' own parser, after real traffic on every transport."""

from __future__ import annotations

from typing import Any

from prometheus_client.parser import text_string_to_metric_families
from twisted.trial.unittest import TestCase

from tests.integration.clients import connect_unix, connect_websocket, http_client
from tests.integration.daemon import BASE_CONFIG, start_daemon
from tests.integration.files_client import form, post_form
from tests.integration.process import wait_for

SIMULATED = BASE_CONFIG + "klippy_uds_address: {data_path}/comms/klippy.sock\n"


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


class MetricsTests(TestCase):
    timeout = 60

    async def scrape(self, url: str, **kwargs: Any) -> tuple[int, bytes, Any]:
        response = await http_client(self).get(url + "/metrics", **kwargs)
        return response.code, await response.content(), response.headers

    async def test_counts_calls_errors_connections_klippy_uploads_and_process(self) -> None:
        daemon = await start_daemon(self, SIMULATED, simulate=True)
        await wait_for(lambda: daemon.ctx.component("klippy").state == "ready", timeout=20)
        client = http_client(self)
        for _ in range(3):
            await (await client.get(daemon.http_url + "/server/info")).content()
        await (await client.get(daemon.http_url + "/server/files/metadata?filename=missing.gcode")).content()
        websocket = await connect_websocket(self, daemon.ws_url)
        await websocket.call("server.info")
        unix = await connect_unix(self, daemon.unix_path)
        await unix.call("printer.info")
        listed = websocket.next_notification("notify_filelist_changed")
        code, _, _ = await post_form(self, daemon.http_url + "/server/files/upload", form({}, "a.gcode", b"G28\n" * 25))
        self.assertEqual(code, 201)
        await listed

        code, body, headers = await self.scrape(daemon.http_url)
        self.assertEqual(code, 200)
        self.assertEqual(headers.getRawHeaders("content-type"), ["text/plain; version=0.0.4; charset=utf-8"])
        found = samples(body.decode())
        self.assertEqual(found[("moontwist_requests_total", (("method", "server.info"), ("transport", "http")))], 3)
        self.assertEqual(found[("moontwist_requests_total", (("method", "server.info"), ("transport", "websocket")))], 1)
        self.assertEqual(found[("moontwist_requests_total", (("method", "printer.info"), ("transport", "unix")))], 1)
        self.assertEqual(found[("moontwist_request_errors_total",
                                (("method", "server.files.metadata"), ("status", "404"), ("transport", "http")))], 1)
        self.assertEqual(found[("moontwist_websocket_connections", ())], 1)
        self.assertEqual(found[("moontwist_klippy_state", (("state", "ready"),))], 1)
        self.assertEqual(found[("moontwist_klippy_state", (("state", "disconnected"),))], 0)
        self.assertGreater(found[("moontwist_klippy_round_trip_seconds", ())], 0)
        self.assertEqual(found[("moontwist_uploads_total", ())], 1)
        self.assertEqual(found[("moontwist_upload_bytes_total", ())], 100)
        self.assertGreater(found[("process_cpu_seconds_total", ())], 0)
        self.assertGreater(found[("process_resident_memory_bytes", ())], 10 * 1024 * 1024)
        self.assertEqual(found[("moontwist_print_state", (("state", "standby"),))], 1)
        self.assertIn(("moontwist_print_progress_ratio", ()), found)
        self.assertGreater(found[("moontwist_notifications_total", (("method", "notify_filelist_changed"),))], 0)

    async def test_same_authorization_as_every_route(self) -> None:
        daemon = await start_daemon(self, "[server]\nhost: 127.0.0.1\nport: 0\nssl_port: 0\n")
        code, _, _ = await self.scrape(daemon.http_url)
        self.assertEqual(code, 401)
        api_key = daemon.ctx.component("authorization").store.api_key
        code, body, _ = await self.scrape(daemon.http_url, headers={"X-Api-Key": api_key})
        self.assertEqual(code, 200)
        self.assertIn(b"moontwist_requests_total", body)
