"""KlipperScreen's power menu against the daemon, call for call as its code makes them
(KlipperScreen master: screen.py, ks_includes/MoonrakerApi.py, ks_includes/printer.py,
ks_includes/notification_handler.py, panels/power.py), with a Tasmota plug faked on loopback."""

from __future__ import annotations

from typing import Any

from twisted.trial.unittest import TestCase

from tests.integration.clients import connect_websocket
from tests.integration.daemon import BASE_CONFIG, start_daemon
from tests.integration.process import wait_for
from tests.services.power.fakes import FakeTasmota


def power_changes(client: Any) -> list[tuple[str, str]]:
    # KlippyWebsocket hands a notification's params[0] to NotificationHandler._power_changed,
    # which reads data["device"] and data["status"] (Printer.process_power_update).
    return [(m["params"][0]["device"], m["params"][0]["status"])
            for m in client.notifications if m["method"] == "notify_power_changed"]


class KlipperScreenPowerTests(TestCase):
    timeout = 60

    async def test_the_power_panel_lists_and_switches_devices(self) -> None:
        plug = FakeTasmota().start()
        self.addCleanup(plug.stop)
        daemon = await start_daemon(self, BASE_CONFIG + f"\n[power printer]\ntype: tasmota\naddress: {plug.address}\n"
                                    f"\n[power lights]\ntype: tasmota\naddress: {plug.address}\n")
        power = daemon.ctx.component("power")
        await wait_for(lambda: all(d.state != "init" for d in power.devices.values()), timeout=20)
        client = await connect_websocket(self, daemon.ws_url)

        # screen.py asks for the devices only when server.info lists the component
        info = await client.call("server.info")
        self.assertIn("power", info["result"]["components"])
        # Printer.configure_power_devices: result["devices"], each "device" and "status"
        answer = await client.call("machine.device_power.devices", {})
        devices = {d["device"]: "on" if d["status"] == "on" else "off" for d in answer["result"]["devices"]}
        self.assertEqual(devices, {"printer": "off", "lights": "off"})

        # screen_on_devices, and the splash screen's "Power On Printer": power_device_on([names])
        answer = await client.call("machine.device_power.on", {"printer": None})
        self.assertEqual(answer["result"], {"printer": "on"})
        self.assertTrue(plug.relays[1])
        await wait_for(lambda: ("printer", "on") in power_changes(client))

        # panels/power.py: a switch turned off is power_device_off([device])
        answer = await client.call("machine.device_power.off", {"printer": None})
        self.assertEqual(answer["result"], {"printer": "off"})
        self.assertFalse(plug.relays[1])
        await wait_for(lambda: power_changes(client)[-1:] == [("printer", "off")])
        switched = [request[2]["cmnd"] for request in plug.requests if request[2]["cmnd"] != "Power1"]
        self.assertEqual(switched, ["Power1 on", "Power1 off"])

        # screen_on_devices naming no configured device sends empty params: Moonraker's error
        answer = await client.call("machine.device_power.on", {})
        self.assertEqual(answer["error"], {"code": 400, "message": "No arguments provided"})
        # a name KlipperScreen's config has but the server does not
        answer = await client.call("machine.device_power.off", {"printer": None, "nope": None})
        self.assertEqual(answer["result"], {"printer": "off", "nope": "device_not_found"})
