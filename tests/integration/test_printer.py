"""A front end's session against `--simulate`: identify, subscribe, heat, print, pause, resume, cancel."""

from __future__ import annotations

from typing import Any

from autobahn.twisted.websocket import WebSocketClientFactory, WebSocketClientProtocol, connectWS
from twisted.internet import reactor
from twisted.internet.defer import Deferred
from twisted.trial.unittest import TestCase

from moontwist.protocols.wstimers import ReactorTimer
from tests.integration.clients import connect_websocket, http_client
from tests.integration.daemon import BASE_CONFIG, RunningDaemon, start_daemon
from tests.integration.process import wait_for

# Homes, then short travel moves: no extrusion, so no wait for the hot end.
PRINT_FILE = "G28\n" + "".join(f"G1 X{10 + i % 5} Y{10 + i % 4} F6000\n" for i in range(2000))


async def start_simulated(test: TestCase) -> RunningDaemon:
    return await start_daemon(test, BASE_CONFIG + "klippy_uds_address: {data_path}/comms/klippy.sock\n", simulate=True)


async def klippy_ready(daemon: RunningDaemon) -> None:
    await wait_for(lambda: daemon.ctx.component("klippy").state == "ready", timeout=20)


def latest(client: Any, obj: str, field: str) -> Any:
    """The newest value of ``obj.field`` seen in notify_status_update, or None."""
    value = None
    for message in client.notifications:
        if message["method"] == "notify_status_update":
            value = message["params"][0].get(obj, {}).get(field, value)
    return value


class PrinterSessionTests(TestCase):
    timeout = 60

    async def test_front_end_session_sees_every_change(self) -> None:
        daemon = await start_simulated(self)
        await klippy_ready(daemon)
        (daemon.data_path / "gcodes" / "cube.gcode").write_text(PRINT_FILE)
        client = await connect_websocket(self, daemon.ws_url)
        await client.call("server.connection.identify",
                          {"client_name": "test", "version": "1", "type": "web", "url": "x"})
        reply = await client.call("printer.objects.subscribe",
                                  {"objects": {"toolhead": None, "extruder": ["target", "temperature"],
                                               "print_stats": None}})
        self.assertIn("print_stats", reply["result"]["status"])
        self.assertEqual((await client.call("printer.gcode.script", {"script": "M104 S200"}))["result"], "ok")
        await wait_for(lambda: latest(client, "extruder", "target") == 200.0)
        await client.call("printer.print.start", {"filename": "cube.gcode"})
        await wait_for(lambda: latest(client, "print_stats", "state") == "printing")
        await client.call("printer.print.pause")
        await wait_for(lambda: latest(client, "print_stats", "state") == "paused")
        await client.call("printer.print.resume")
        await wait_for(lambda: latest(client, "print_stats", "state") == "printing")
        await client.call("printer.print.cancel")
        await wait_for(lambda: latest(client, "print_stats", "state") == "cancelled", timeout=20)
        self.assertNotIn("fan", [k for m in client.notifications if m["method"] == "notify_status_update"
                                 for k in m["params"][0]])

    async def test_two_connections_get_only_their_own_objects(self) -> None:
        daemon = await start_simulated(self)
        await klippy_ready(daemon)
        first = await connect_websocket(self, daemon.ws_url)
        second = await connect_websocket(self, daemon.ws_url)
        await first.call("printer.objects.subscribe", {"objects": {"extruder": ["target"]}})
        await second.call("printer.objects.subscribe", {"objects": {"heater_bed": ["target"]}})
        await first.call("printer.gcode.script", {"script": "M104 S210\nM140 S60"})
        await wait_for(lambda: latest(first, "extruder", "target") == 210.0 and
                       latest(second, "heater_bed", "target") == 60.0)
        seen_first = {k for m in first.notifications if m["method"] == "notify_status_update" for k in m["params"][0]}
        seen_second = {k for m in second.notifications if m["method"] == "notify_status_update" for k in m["params"][0]}
        self.assertEqual((seen_first, seen_second), ({"extruder"}, {"heater_bed"}))

    async def test_gcode_error_reaches_client_with_klippys_message(self) -> None:
        daemon = await start_simulated(self)
        await klippy_ready(daemon)
        client = await connect_websocket(self, daemon.ws_url)
        await client.call("printer.gcode.script", {"script": "G28"})
        reply = await client.call("printer.gcode.script", {"script": "G1 X9999"})
        self.assertEqual(reply["error"]["code"], 400)
        self.assertTrue(reply["error"]["message"].startswith("Move out of range: 9999.000"), reply)
        unknown = await client.call("printer.gcode.script", {"script": "NOT_A_COMMAND"})
        self.assertEqual(unknown["result"], "ok")

    async def test_emergency_stop_shuts_down_until_firmware_restart(self) -> None:
        daemon = await start_simulated(self)
        await klippy_ready(daemon)
        client = await connect_websocket(self, daemon.ws_url)
        shutdown = client.next_notification("notify_klippy_shutdown")
        await client.call("printer.emergency_stop")
        await shutdown
        self.assertEqual((await client.call("server.info"))["result"]["klippy_state"], "shutdown")
        ready = client.next_notification("notify_klippy_ready")
        await client.call("printer.firmware_restart")
        await ready


class BridgeClient(WebSocketClientProtocol):
    def onOpen(self) -> None:
        self.messages: list[bytes] = []
        self.waiting: Deferred[bytes] | None = None
        self.factory.opened.callback(self)

    def onMessage(self, payload: bytes, isBinary: bool) -> None:
        self.messages.append(payload)
        if self.waiting is not None:
            waiting, self.waiting = self.waiting, None
            waiting.callback(payload)

    def next_message(self) -> "Deferred[bytes]":
        self.waiting = Deferred()
        return self.waiting

    def onClose(self, wasClean: bool, code: int, reason: str) -> None:
        if not self.factory.opened.called:
            self.factory.opened.errback(ConnectionError(reason))
        if not self.factory.closed.called:
            self.factory.closed.callback(code)


async def connect_bridge(test: TestCase, daemon: RunningDaemon) -> BridgeClient:
    url = f"ws://127.0.0.1:{daemon.port_of('http')}/klippysocket"
    factory = WebSocketClientFactory(url)
    factory._batched_timer = ReactorTimer(reactor)
    factory.protocol = BridgeClient
    factory.opened, factory.closed = Deferred(), Deferred()
    connectWS(factory)
    client = await factory.opened
    client.closed = factory.closed

    async def drop() -> None:
        if not factory.closed.called:
            client.transport.abortConnection()
            await factory.closed

    test.addCleanup(lambda: Deferred.fromCoroutine(drop()))
    return client


class BridgeTests(TestCase):
    timeout = 60

    async def test_bytes_pass_both_ways_without_etx(self) -> None:
        daemon = await start_simulated(self)
        await klippy_ready(daemon)
        bridge = await connect_bridge(self, daemon)
        reply = bridge.next_message()
        bridge.sendMessage(b'{"id": 7, "method": "info", "params": {}}', isBinary=True)
        payload = await reply
        self.assertTrue(payload.startswith(b"{") and payload.endswith(b"}"))
        self.assertIn(b'"id":7', payload.replace(b" ", b""))

    async def test_bridge_closes_when_klippy_restarts(self) -> None:
        daemon = await start_simulated(self)
        await klippy_ready(daemon)
        bridge = await connect_bridge(self, daemon)
        client = await connect_websocket(self, daemon.ws_url)
        await client.call("printer.restart")
        self.assertEqual(await bridge.closed, 1000)

    async def test_bridge_refused_when_klippy_is_away(self) -> None:
        daemon = await start_daemon(self, BASE_CONFIG + "klippy_uds_address: {data_path}/comms/none.sock\n")
        response = await http_client(self).get(daemon.http_url + "/klippysocket",
                                                headers={"Upgrade": "websocket", "Connection": "Upgrade"})
        self.assertEqual(response.code, 503)
        self.assertEqual((await response.json())["error"]["code"], 503)
