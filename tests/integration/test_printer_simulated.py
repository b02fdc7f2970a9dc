"""Printing and Klippy's files on --simulate, the way a front end sees them."""

from __future__ import annotations

from twisted.trial.unittest import TestCase

from tests.integration.clients import connect_websocket, http_client
from tests.integration.process import wait_for
from tests.integration.daemon import BASE_CONFIG, start_daemon
from tests.integration.test_printer import klippy_ready, latest, start_simulated

# Short travel moves at real-time speed: about 40 s in all.
PRINT_FILE = "".join(f"G4 P{100 + i % 3}\n" for i in range(400))


class SecondStartTests(TestCase):
    timeout = 60

    async def test_a_second_start_while_printing_is_refused_while_the_first_goes_on(self) -> None:
        daemon = await start_simulated(self)
        await klippy_ready(daemon)
        (daemon.data_path / "gcodes" / "dwell.gcode").write_text(PRINT_FILE)
        client = await connect_websocket(self, daemon.ws_url)
        await client.call("printer.objects.subscribe", {"objects": {"print_stats": ["state"]}})
        await client.call("printer.print.start", {"filename": "dwell.gcode"})
        await wait_for(lambda: latest(client, "print_stats", "state") == "printing")
        second = await client.call("printer.print.start", {"filename": "dwell.gcode"})
        self.assertEqual(second["error"], {"code": 400, "message": "SD busy"})
        status = (await client.call("printer.objects.query", {"objects": {"print_stats": ["state"],
                                                                          "virtual_sdcard": ["progress"]}}))
        self.assertEqual(status["result"]["status"]["print_stats"]["state"], "printing")
        self.assertLess(status["result"]["status"]["virtual_sdcard"]["progress"], 0.5)


class SimulatedKlippyFilesTests(TestCase):
    timeout = 60

    async def test_printer_cfg_and_klippy_log_are_where_a_front_end_looks(self) -> None:
        daemon = await start_simulated(self)
        await klippy_ready(daemon)
        http = http_client(self)
        config = await http.get(daemon.http_url + "/server/files/config/printer.cfg")
        self.assertEqual(config.code, 200)
        self.assertIn(b"[virtual_sdcard]", await config.content())
        log = await http.get(daemon.http_url + "/server/files/klippy.log")
        self.assertEqual(log.code, 200)
        self.assertIn(b"===== Config file =====", await log.content())
        info = (await (await http.get(daemon.http_url + "/printer/info")).json())["result"]
        self.assertEqual(info["log_file"], str(daemon.data_path / "logs" / "klippy.log"))
        self.assertEqual(info["config_file"], str(daemon.data_path / "config" / "printer.cfg"))

    async def test_simulate_speed_reaches_the_simulator(self) -> None:
        daemon = await start_daemon(self, BASE_CONFIG + "klippy_uds_address: {data_path}/comms/klippy.sock\n",
                                    simulate=True, simulate_speed=25.0)
        await klippy_ready(daemon)
        client = await connect_websocket(self, daemon.ws_url)
        # G28 (about 14 s of homing) and a 10 s dwell, at 25 times real time.
        reply = await client.call("printer.gcode.script", {"script": "G28\nG4 P10000"})
        self.assertEqual(reply["result"], "ok")
        self.assertEqual(daemon.service.getServiceNamed("simulator").printer.world.speed, 25.0)
