"""OctoPrint compatibility on the real daemon, printing on the Klippy simulator."""

from __future__ import annotations

import json
from typing import Any

from twisted.internet import reactor
from twisted.trial.unittest import TestCase

from moontwist.simulator.service import SimulatorService
from tests.integration.clients import http_client
from tests.integration.daemon import BASE_CONFIG, start_daemon
from tests.integration.files_client import BOUNDARY, eventually, form

CONFIG = "[octoprint_compat]\n" + BASE_CONFIG + "klippy_uds_address: {data_path}/comms/klippy.sock\n"
SLICER_HEADERS = {"X-Api-Key": "88888888"}


def long_print() -> bytes:
    return ("G28\n" + "".join(f"G1 X{10 + i % 5} Y{10 + i % 4} F3000\n" for i in range(5000))).encode()


class OctoPrintTests(TestCase):
    timeout = 60

    async def setUp(self) -> None:
        self.daemon = await start_daemon(self, CONFIG)
        simulator = SimulatorService.create(reactor, str(self.daemon.data_path / "comms" / "klippy.sock"),
                                            str(self.daemon.data_path / "gcodes"))
        await simulator.startService()
        self.addCleanup(simulator.stopService)
        klippy = self.daemon.ctx.component("klippy")
        await eventually(lambda: klippy.state == "ready", timeout=20)
        self.url = self.daemon.http_url

    async def get(self, path: str) -> tuple[int, Any]:
        response = await http_client(self).get(self.url + path, headers=SLICER_HEADERS)
        return response.code, json.loads(await response.text())

    async def test_identity_endpoints_answer_unwrapped(self) -> None:
        self.assertEqual((await self.get("/api/version"))[1]["api"], "0.1")
        self.assertEqual((await self.get("/api/server"))[1], {"server": "1.5.0", "safemode": None})
        self.assertEqual((await self.get("/api/login"))[1]["name"], "_api")
        self.assertEqual(await self.get("/api/currentuser"), (200, (await self.get("/api/login"))[1]))
        settings = (await self.get("/api/settings"))[1]
        self.assertTrue(settings["plugins"]["UltimakerFormatPackage"]["installed"])
        self.assertEqual(settings["webcam"]["streamUrl"], "/webcam/?action=stream")
        profile = (await self.get("/api/printerprofiles"))[1]["profiles"]["_default"]
        self.assertEqual((profile["current"], profile["heatedBed"], profile["heatedChamber"]), (True, True, False))
        self.assertEqual(profile["axes"], {"x": {"speed": 6000.0, "inverted": False},
                                           "y": {"speed": 6000.0, "inverted": False},
                                           "z": {"speed": 6000.0, "inverted": False},
                                           "e": {"speed": 300.0, "inverted": False}})

    async def test_server_is_in_safe_mode_while_klippy_is_not_ready(self) -> None:
        klippy = self.daemon.ctx.component("klippy")
        await klippy.run_gcode("M112")
        await eventually(lambda: klippy.state == "shutdown")
        self.assertEqual((await self.get("/api/server"))[1], {"server": "1.5.0", "safemode": "settings"})

    async def test_printer_reports_heaters_and_state(self) -> None:
        code, printer = await self.get("/api/printer")
        self.assertEqual(code, 200)
        self.assertEqual(printer["state"]["text"], "Operational")
        self.assertTrue(printer["state"]["flags"]["operational"])
        self.assertEqual(set(printer["temperature"]), {"tool0", "bed"})
        self.assertEqual(set(printer["temperature"]["bed"]), {"actual", "offset", "target"})

    async def test_command_runs_gcode(self) -> None:
        response = await http_client(self).post(self.url + "/api/printer/command", json={"commands": ["M117 hi"]},
                                                headers=SLICER_HEADERS)
        self.assertEqual((response.code, json.loads(await response.text())), (200, {}))

    async def test_upload_with_print_starts_the_print(self) -> None:
        response = await http_client(self).post(
            self.url + "/api/files/local", data=form({"print": "true"}, "sliced part.gcode", long_print()),
            headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}", **SLICER_HEADERS})
        body = json.loads(await response.text())
        self.assertEqual(response.code, 201)
        self.assertEqual((body["item"]["path"], body["print_started"]), ("sliced part.gcode", True))
        klippy = self.daemon.ctx.component("klippy")
        await eventually(lambda: (klippy.status.get("print_stats") or {}).get("state") == "printing")
        job = (await self.get("/api/job"))[1]
        self.assertEqual(job["state"], "Printing")
        printer = (await self.get("/api/printer"))[1]
        self.assertTrue(printer["state"]["flags"]["printing"])
        await self.daemon.ctx.component("klippy").run_gcode("CANCEL_PRINT")


class WithoutSectionTests(TestCase):
    async def test_octoprint_routes_exist_only_with_the_octoprint_compat_section(self) -> None:
        daemon = await start_daemon(self, BASE_CONFIG)
        self.assertNotIn("octoprint_compat", daemon.ctx.components)
        for method, path in (("GET", "/api/version"), ("GET", "/api/settings"), ("POST", "/api/files/local")):
            response = await http_client(self).request(method, daemon.http_url + path, headers=SLICER_HEADERS)
            self.assertEqual(response.code, 404, path)
            await response.content()
