"""Print jobs on the real daemon against the Klippy simulator: history, crash recovery, the queue."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from twisted.internet import reactor
from twisted.internet.task import deferLater
from twisted.trial.unittest import TestCase

from moontwist.simulator.service import SimulatorService
from tests.integration.clients import connect_websocket, http_client
from tests.integration.daemon import BASE_CONFIG, RunningDaemon, short_temp_dir, start_daemon
from tests.integration.files_client import BOUNDARY, form
from tests.integration.process import spawn_daemon, wait_for
from tests.integration.test_authorization import bearer, create_user

SIMULATOR_SPEED = 10.0
KLIPPY_SOCKET = "klippy_uds_address: {data_path}/comms/klippy.sock\n"
QUEUE_CONFIG = """
[job_queue]
automatic_transition: True
job_transition_delay: 0.2
job_transition_gcode: M117 next job
"""


def extruding_print(lines: int = 40, step: float = 0.5) -> str:
    """Heat, home, then 10 mm moves at 10 mm/s that extrude ``lines * step`` mm of filament."""
    moves = "".join(f"G1 X{20 + (i % 2) * 10} Y20 E{(i + 1) * step:.3f} F600\n" for i in range(lines))
    return "M109 S175\nG28\nG1 Z0.3 F600\nG92 E0\n" + moves


def short_print(lines: int = 20) -> str:
    return "G28\n" + "".join(f"G1 X{10 + i % 5} Y{10 + i % 3} F6000\n" for i in range(lines))


def long_print() -> str:
    return "G28\n" + "".join(f"G1 X{10 + i % 5} Y{10 + i % 4} F3000\n" for i in range(20000))


async def start_with_simulator(test: TestCase, extra_config: str = "") -> RunningDaemon:
    """The daemon and, beside it, a simulator running physics faster than real time."""
    daemon = await start_daemon(test, BASE_CONFIG + KLIPPY_SOCKET + extra_config)
    simulator = SimulatorService.create(reactor, str(daemon.data_path / "comms" / "klippy.sock"),
                                        str(daemon.data_path / "gcodes"), speed=SIMULATOR_SPEED)
    await simulator.startService()
    test.addCleanup(simulator.stopService)
    await wait_for(lambda: daemon.ctx.component("klippy").state == "ready", timeout=20)
    return daemon


async def get(url: str, test: TestCase) -> Any:
    response = await http_client(test).get(url)
    return (await response.json())["result"]


async def post(url: str, test: TestCase, body: Any = None) -> Any:
    response = await http_client(test).post(url, json=body or {})
    return (await response.json())["result"]


class HistoryThroughSimulatorTests(TestCase):
    timeout = 90

    async def test_a_users_print_leaves_one_record_with_klippys_final_numbers(self) -> None:
        daemon = await start_with_simulator(self)
        (daemon.data_path / "gcodes" / "extrude.gcode").write_text(extruding_print())
        alice = await create_user(daemon, self)
        client = await connect_websocket(self, daemon.ws_url, bearer(alice["token"]))
        await client.call("printer.objects.subscribe", {"objects": {"print_stats": None}})
        started = await client.call("printer.print.start", {"filename": "extrude.gcode"})
        self.assertEqual(started["result"], "ok")
        await wait_for(lambda: any(m["method"] == "notify_history_changed" and m["params"][0]["action"] == "finished"
                                   for m in client.notifications), timeout=60)
        final: dict[str, Any] = {}
        for message in client.notifications:
            if message["method"] == "notify_status_update":
                final.update(message["params"][0].get("print_stats", {}))
        self.assertEqual(final["state"], "complete")
        listed = await get(daemon.http_url + "/server/history/list", self)
        self.assertEqual(listed["count"], 1)
        [job] = listed["jobs"]
        self.assertEqual((job["status"], job["filename"], job["exists"], job["user"]),
                         ("completed", "extrude.gcode", True, "alice"))
        # Klippy counts filament at each status tick, so the last moves may be left out.
        self.assertTrue(15.0 < job["filament_used"] <= 20.0, job["filament_used"])
        self.assertEqual(job["filament_used"], final["filament_used"])
        self.assertEqual(job["total_duration"], final["total_duration"])
        self.assertEqual(job["print_duration"], final["print_duration"])
        self.assertGreater(job["total_duration"], job["print_duration"])
        self.assertGreater(job["print_duration"], 0.0)
        self.assertGreater(job["end_time"], job["start_time"])
        totals = (await get(daemon.http_url + "/server/history/totals", self))["job_totals"]
        self.assertEqual((totals["total_jobs"], totals["total_filament_used"]), (1, job["filament_used"]))
        added = [m["params"][0] for m in client.notifications if m["method"] == "notify_history_changed"]
        self.assertEqual([change["action"] for change in added], ["added", "finished"])


    async def test_an_upload_that_prints_leaves_one_record_with_the_user_and_the_metadata(self) -> None:
        daemon = await start_with_simulator(self)
        alice = await create_user(daemon, self)
        client = await connect_websocket(self, daemon.ws_url)
        await client.call("printer.objects.subscribe", {"objects": {"print_stats": None}})
        data = extruding_print().encode()
        response = await http_client(self).post(
            daemon.http_url + "/server/files/upload", data=form({"print": "true"}, "sliced.gcode", data),
            headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}", **bearer(alice["token"])})
        self.assertTrue((await response.json())["print_started"])
        await wait_for(lambda: any(m["method"] == "notify_history_changed" and m["params"][0]["action"] == "finished"
                                   for m in client.notifications), timeout=60)
        final: dict[str, Any] = {}
        for message in client.notifications:
            if message["method"] == "notify_status_update":
                final.update(message["params"][0].get("print_stats", {}))
        listed = await get(daemon.http_url + "/server/history/list", self)
        self.assertEqual(listed["count"], 1)
        [job] = listed["jobs"]
        self.assertEqual((job["user"], job["filename"], job["status"]), ("alice", "sliced.gcode", "completed"))
        self.assertEqual((job["print_duration"], job["total_duration"], job["filament_used"]),
                         (final["print_duration"], final["total_duration"], final["filament_used"]))
        self.assertGreater(job["filament_used"], 15.0)
        self.assertEqual((job["metadata"].get("filename"), job["metadata"]["size"]), (None, len(data)))
        added = [m["params"][0] for m in client.notifications
                 if m["method"] == "notify_history_changed" and m["params"][0]["action"] == "added"]
        # The print started once the metadata was stored: the record has it from the start.
        self.assertEqual(added[0]["job"]["metadata"], job["metadata"])


class CrashTests(TestCase):
    timeout = 90

    async def test_sigkill_mid_print_leaves_the_job_interrupted(self) -> None:
        data = short_temp_dir(self)
        (data / "config").mkdir()
        (data / "config" / "moonraker.conf").write_text(BASE_CONFIG + KLIPPY_SOCKET)
        (data / "gcodes").mkdir()
        (data / "gcodes" / "long.gcode").write_text(long_print())
        process = spawn_daemon(data, "--simulate")
        self.addCleanup(process.kill)
        url = f"http://127.0.0.1:{(await process.listening)['HTTP']}"
        await self._wait_for_klippy(url)
        await post(url + "/printer/print/start?filename=long.gcode", self)
        jobs: list[Any] = []

        async def poll() -> None:
            jobs[:] = (await get(url + "/server/history/list", self))["jobs"]

        await self._until(poll, lambda: bool(jobs) and jobs[0]["status"] == "in_progress")
        process.signal("KILL")
        await process.ended

        restarted = spawn_daemon(data, "--simulate")
        self.addCleanup(restarted.kill)
        url = f"http://127.0.0.1:{(await restarted.listening)['HTTP']}"
        [job] = (await get(url + "/server/history/list", self))["jobs"]
        self.assertEqual((job["job_id"], job["filename"], job["status"]), ("000001", "long.gcode", "interrupted"))
        restarted.signal("TERM")
        await restarted.ended

    async def _wait_for_klippy(self, url: str) -> None:
        info: dict[str, Any] = {}

        async def poll() -> None:
            info.update(await get(url + "/server/info", self))

        await self._until(poll, lambda: info.get("klippy_state") == "ready")

    async def _until(self, poll: Any, done: Any, attempts: int = 200) -> None:
        for _ in range(attempts):
            await poll()
            if done():
                return
            await deferLater(reactor, 0.1, lambda: None)
        self.fail("condition not reached")


class QueueTests(TestCase):
    timeout = 120

    async def test_three_queued_jobs_print_one_after_another(self) -> None:
        daemon = await start_with_simulator(self, QUEUE_CONFIG)
        for name in ("one", "two", "three"):
            (daemon.data_path / "gcodes" / f"{name}.gcode").write_text(short_print())
        names = ["one.gcode", "two.gcode", "three.gcode"]
        queued = await post(daemon.http_url + "/server/job_queue/job", self, {"filenames": names})
        self.assertEqual([job["filename"] for job in queued["queued_jobs"]], names)
        self.assertEqual((await post(daemon.http_url + "/server/job_queue/start", self))["queue_state"], "loading")
        history = daemon.ctx.component("history")
        await wait_for(lambda: len(history.records.job_ids()) == 3 and history.current is None, timeout=90)
        jobs = (await get(daemon.http_url + "/server/history/list?order=asc", self))["jobs"]
        self.assertEqual([(job["filename"], job["status"]) for job in jobs],
                         [(name, "completed") for name in names])
        for earlier, later in zip(jobs, jobs[1:]):
            self.assertGreaterEqual(later["start_time"], earlier["end_time"])
        self.assertEqual(await get(daemon.http_url + "/server/job_queue/status", self),
                         {"queued_jobs": [], "queue_state": "paused"})
        commands = [entry["message"] for entry in
                    (await get(daemon.http_url + "/server/gcode_store?count=100", self))["gcode_store"]
                    if entry["type"] == "command"]
        self.assertEqual([c for c in commands if c == "M117 next job"], ["M117 next job"] * 2)

    async def test_the_queue_survives_a_restart(self) -> None:
        data = short_temp_dir(self)
        (data / "config").mkdir()
        (data / "config" / "moonraker.conf").write_text(BASE_CONFIG)
        gcodes = Path(data / "gcodes")
        gcodes.mkdir()
        for name in ("a.gcode", "b.gcode"):
            (gcodes / name).write_text(short_print())
        process = spawn_daemon(data)
        self.addCleanup(process.kill)
        url = f"http://127.0.0.1:{(await process.listening)['HTTP']}"
        before = await post(url + "/server/job_queue/job", self, {"filenames": ["a.gcode", "b.gcode", "a.gcode"]})
        process.signal("KILL")
        await process.ended

        restarted = spawn_daemon(data)
        self.addCleanup(restarted.kill)
        url = f"http://127.0.0.1:{(await restarted.listening)['HTTP']}"
        after = await get(url + "/server/job_queue/status", self)
        self.assertEqual([(job["filename"], job["job_id"], job["time_added"]) for job in after["queued_jobs"]],
                         [(job["filename"], job["job_id"], job["time_added"]) for job in before["queued_jobs"]])
        self.assertEqual(after["queue_state"], "paused")
        restarted.signal("TERM")
        await restarted.ended
