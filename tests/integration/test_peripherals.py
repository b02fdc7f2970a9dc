"""machine.peripherals.* on the running daemon and this real host, as Mainsail's and Fluidd's dialogs call them."""

from __future__ import annotations

import json
from pathlib import Path

from twisted.trial.unittest import TestCase

from tests.integration.clients import connect_unix, connect_websocket, http_client
from tests.integration.daemon import start_daemon


class PeripheralsIntegrationTests(TestCase):
    timeout = 30

    async def test_every_peripheral_list_on_every_transport(self) -> None:
        daemon = await start_daemon(self)
        http = http_client(self)
        usb = json.loads(await (await http.get(daemon.http_url + "/machine/peripherals/usb")).text())["result"]
        self.assertEqual(list(usb), ["usb_devices"])
        for device in usb["usb_devices"]:
            self.assertRegex(device["usb_location"], r"^\d+:\d+$")

        fluidd = await connect_websocket(self, daemon.ws_url)
        serial = (await fluidd.call("machine.peripherals.serial", {}))["result"]["serial_devices"]
        tty_names = {path.name for path in Path("/sys/class/tty").iterdir() if (path / "device").is_dir()}
        self.assertLessEqual({device["device_name"] for device in serial}, tty_names)
        video = (await fluidd.call("machine.peripherals.video", {}))["result"]
        self.assertEqual(set(video), {"v4l2_devices", "libcamera_devices"})

        unix = await connect_unix(self, daemon.unix_path)
        missing = (await unix.call("machine.peripherals.canbus", {"interface": "nocan9"}))["result"]
        self.assertEqual(missing, {"can_uuids": []})
