"""history: job records from job events, totals, and server.history.*."""

from __future__ import annotations

import os
from typing import Any

from moontwist.api import Request
from moontwist.errors import ApiError
from moontwist.services.jobs import HistoryService
from moontwist.services.jobs.history_records import HistoryRecords
from tests.services.jobs.helpers import HeldNamespace, JobsTestCase, MemoryNamespace


class HistoryTestCase(JobsTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.namespace = MemoryNamespace("history")
        self.job_state.startService()

    def start_history(self) -> HistoryService:
        self.history = HistoryService(self.ctx, self.files, HistoryRecords(self.namespace))  # type: ignore[arg-type]
        self.ctx.add_component("history", self.history)
        self.history.startService()
        return self.history

    def call(self, method: str, **args: Any) -> Any:
        return self.successResultOf(self.ctx.registry.dispatch(Request(method, args)))

    def call_fails(self, method: str, **args: Any) -> ApiError:
        return self.failureResultOf(self.ctx.registry.dispatch(Request(method, args)), ApiError).value

    def print_job(self, name: str, final: str = "complete", seconds: float = 100.0) -> None:
        self.push_stats(state="printing", filename=name, total_duration=0.0, print_duration=0.0, filament_used=0.0)
        self.reactor.advance(seconds)
        self.push_stats(state=final, total_duration=seconds, print_duration=seconds - 10, filament_used=seconds * 2)


class AnnounceAfterStoreTests(HistoryTestCase):
    """A client that reads on ``notify_history_changed`` sees what it announces."""

    def setUp(self) -> None:
        super().setUp()
        self.namespace = HeldNamespace("history")
        self.metadata = HeldNamespace("gcode_metadata")
        self.files.metadata_records = self.metadata  # type: ignore[assignment]
        self.gcode("cube.gcode")
        self.metadata.data["cube.gcode"] = {"slicer": "Cura"}
        self.start_history()
        self.connect()
        self.seen: list[Any] = []

    def read_on_next(self) -> None:
        def read(params: Any) -> None:
            jobs = self.call("server.history.list")["jobs"]
            self.seen.append((params[0]["action"], [job["status"] for job in jobs],
                              self.call("server.history.totals")["job_totals"]["total_jobs"],
                              self.metadata.data["cube.gcode"].get("job_id")))

        self.client.next_notification("notify_history_changed").addCallback(read)

    def test_added_is_announced_once_the_job_is_listed(self) -> None:
        self.read_on_next()
        self.push_stats(state="printing", filename="cube.gcode", total_duration=0.0)
        self.assertEqual(self.seen, [])
        self.namespace.commit()
        self.assertEqual(self.seen, [])
        self.metadata.commit()
        self.assertEqual(self.seen, [("added", ["in_progress"], 0, "000001")])

    def test_finished_is_announced_once_the_list_and_totals_show_it(self) -> None:
        self.push_stats(state="printing", filename="cube.gcode", total_duration=0.0)
        self.namespace.commit()
        self.metadata.commit()
        self.read_on_next()
        self.push_stats(state="complete", total_duration=10.0)
        self.assertEqual(self.seen, [])
        self.metadata.commit()
        self.namespace.commit()
        self.assertEqual(self.seen, [("finished", ["completed"], 1, "000001")])


class JobRecordTests(HistoryTestCase):
    def test_a_print_leaves_one_completed_record(self) -> None:
        path = self.gcode("benchy.gcode")
        self.metadata.data["benchy.gcode"] = {
            "modified": os.stat(path).st_mtime, "slicer": "PrusaSlicer", "print_start_time": None, "job_id": None,
            "thumbnails": [{"width": 32, "height": 32, "data": "iVBOR", "relative_path": ".thumbs/b-32x32.png"}]}
        self.start_history()
        self.connect()
        started_at = self.reactor.seconds()
        self.print_job("benchy.gcode", seconds=120.0)
        [job] = self.call("server.history.list")["jobs"]
        self.assertEqual(job, {
            "job_id": "000001", "user": "No User", "filename": "benchy.gcode", "status": "completed",
            "start_time": started_at, "end_time": started_at + 120.0,
            "print_duration": 110.0, "total_duration": 120.0, "filament_used": 240.0,
            "metadata": {"modified": os.stat(path).st_mtime, "slicer": "PrusaSlicer",
                         "thumbnails": [{"width": 32, "height": 32, "relative_path": ".thumbs/b-32x32.png"}]},
            "auxiliary_data": [], "exists": True})
        self.assertEqual(self.metadata.data["benchy.gcode"]["job_id"], "000001")
        self.assertEqual(self.metadata.data["benchy.gcode"]["print_start_time"], started_at)
        changes = self.notified("notify_history_changed")
        self.assertEqual([change["action"] for change in changes], ["added", "finished"])
        self.assertEqual(changes[0]["job"]["status"], "in_progress")
        self.assertEqual(changes[1]["job"], job)
        self.assertEqual(self.call("server.history.totals"), {"job_totals": {
            "total_jobs": 1, "total_time": 120.0, "total_print_time": 110.0, "total_filament_used": 240.0,
            "longest_job": 120.0, "longest_print": 110.0}, "auxiliary_totals": []})

    def test_job_metadata_has_no_filename_as_in_moonraker(self) -> None:
        self.gcode("named.gcode")
        self.metadata.data["named.gcode"] = {"slicer": "Cura", "filename": "named.gcode", "job_id": None}
        self.start_history()
        self.connect()
        self.print_job("named.gcode")
        [job] = self.call("server.history.list")["jobs"]
        self.assertEqual(job["metadata"], {"slicer": "Cura"})
        self.assertEqual([change["job"]["metadata"] for change in self.notified("notify_history_changed")],
                         [{"slicer": "Cura"}] * 2)

    def test_metadata_extracted_after_the_start_is_in_the_finished_record(self) -> None:
        path = self.gcode("late.gcode")
        self.start_history()
        self.connect()
        self.push_stats(state="printing", filename="late.gcode", total_duration=0.0)
        self.assertEqual(self.notified("notify_history_changed")[0]["job"]["metadata"], {})
        self.metadata.data["late.gcode"] = {"modified": os.stat(path).st_mtime, "slicer": "OrcaSlicer",
                                            "print_start_time": None, "job_id": None}
        self.push_stats(state="complete", total_duration=5.0)
        [job] = self.call("server.history.list")["jobs"]
        self.assertEqual(job["metadata"], {"modified": os.stat(path).st_mtime, "slicer": "OrcaSlicer"})
        self.assertEqual(self.notified("notify_history_changed")[1]["job"], job)
        self.assertEqual((self.metadata.data["late.gcode"]["job_id"],
                          self.metadata.data["late.gcode"]["print_start_time"]), ("000001", job["start_time"]))

    def test_a_changed_or_missing_file_does_not_exist_for_the_job(self) -> None:
        self.start_history()
        self.connect()
        self.print_job("gone.gcode")
        self.assertFalse(self.call("server.history.get_job", uid="1")["job"]["exists"])
        path = self.gcode("other.gcode")
        self.metadata.data["other.gcode"] = {"modified": os.stat(path).st_mtime + 5}
        self.print_job("other.gcode")
        self.assertFalse(self.call("server.history.get_job", uid="000002")["job"]["exists"])

    def test_statuses(self) -> None:
        self.start_history()
        self.connect()
        self.print_job("a.gcode", "cancelled")
        self.print_job("b.gcode", "error")
        self.push_stats(state="printing", filename="c.gcode", total_duration=0.0)
        self.push_stats(total_duration=30.0, print_duration=20.0)
        # SDCARD_RESET_FILE: the stats are reset; the job keeps the ones before.
        self.push_stats(state="standby", filename="", total_duration=0.0, print_duration=0.0)
        jobs = self.call("server.history.list", order="asc")["jobs"]
        self.assertEqual([(job["filename"], job["status"]) for job in jobs],
                         [("a.gcode", "cancelled"), ("b.gcode", "error"), ("c.gcode", "cancelled")])
        self.assertEqual((jobs[2]["total_duration"], jobs[2]["print_duration"]), (30.0, 20.0))

    def test_a_new_start_closes_the_open_job_as_cancelled(self) -> None:
        self.start_history()
        self.connect()
        self.push_stats(state="printing", filename="a.gcode", total_duration=1.0)
        self.push_stats(state="paused", total_duration=2.0)
        self.push_stats(state="printing", filename="b.gcode", total_duration=0.0)
        jobs = self.call("server.history.list", order="asc")["jobs"]
        self.assertEqual([(job["filename"], job["status"]) for job in jobs],
                         [("a.gcode", "cancelled"), ("b.gcode", "in_progress")])

    def test_klippy_disconnect_shutdown_and_server_exit(self) -> None:
        self.start_history()
        self.connect()
        self.push_stats(state="printing", filename="a.gcode", total_duration=7.0)
        self.klippy.lose()
        self.reactor.advance(1)
        self.klippy.objects["print_stats"] = {"state": "standby", "filename": ""}
        self.klippy.accept()
        self.push_stats(state="printing", filename="b.gcode", total_duration=0.0)
        self.klippy.push({"webhooks": {"state": "shutdown", "state_message": "MCU shutdown"}})
        self.klippy.lose()
        self.reactor.advance(1)
        self.klippy.objects["webhooks"]["state"] = "ready"
        self.klippy.objects["print_stats"] = {"state": "standby", "filename": ""}
        self.klippy.accept()
        self.push_stats(state="printing", filename="c.gcode", total_duration=0.0)
        self.successResultOf(self.history.stopService())
        statuses = [job["status"] for job in self.namespace.data.values() if isinstance(job, dict)]
        self.assertEqual(statuses, ["klippy_disconnect", "klippy_shutdown", "server_exit"])
        self.assertEqual(self.namespace.data["000001"]["total_duration"], 7.0)

    def test_in_progress_at_start_up_becomes_interrupted(self) -> None:
        self.namespace.data["000001"] = {"job_id": "000001", "filename": "a.gcode", "status": "in_progress",
                                         "start_time": 1.0, "end_time": None}
        self.namespace.data["000002"] = {"job_id": "000002", "filename": "b.gcode", "status": "completed"}
        self.start_history()
        self.assertEqual(self.namespace.data["000001"]["status"], "interrupted")
        self.assertEqual(self.namespace.data["000002"]["status"], "completed")

    def test_user_who_asked_for_the_print(self) -> None:
        self.start_history()
        self.connect()
        self.ctx.events.emit("job_requested", "a.gcode", "alice")
        self.print_job("a.gcode")
        self.print_job("a.gcode")
        jobs = self.call("server.history.list", order="asc")["jobs"]
        self.assertEqual([job["user"] for job in jobs], ["alice", "No User"])


class HistoryApiTests(HistoryTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.start_history()
        self.connect()
        self.starts = []
        for index in range(5):
            self.starts.append(self.reactor.seconds())
            self.print_job(f"{index}.gcode", seconds=10.0)

    def ids(self, **args: Any) -> list[str]:
        return [job["job_id"] for job in self.call("server.history.list", **args)["jobs"]]

    def test_list_order_start_limit(self) -> None:
        self.assertEqual(self.ids(), ["000005", "000004", "000003", "000002", "000001"])
        self.assertEqual(self.ids(order="asc", start=1, limit=2), ["000002", "000003"])
        self.assertEqual(self.ids(start=0, limit=50, max=100), ["000005", "000004", "000003", "000002", "000001"])
        self.assertEqual(self.call("server.history.list", limit=2)["count"], 2)
        self.assertEqual(self.call_fails("server.history.list", order="up").message, "Invalid `order` value: up")

    def test_list_since_and_before(self) -> None:
        self.assertEqual(self.ids(since=self.starts[2]), ["000005", "000004"])
        self.assertEqual(self.ids(before=self.starts[2] + 10.5), ["000003", "000002", "000001"])
        self.assertEqual(self.ids(since=self.starts[0], before=self.starts[3] + 0.5, order="asc"),
                         ["000002", "000003"])

    def test_get_job(self) -> None:
        self.assertEqual(self.call("server.history.get_job", uid="000003")["job"]["filename"], "2.gcode")
        self.assertEqual(self.call("server.history.get_job", uid="3")["job"]["job_id"], "000003")
        error = self.call_fails("server.history.get_job", uid="00000F")
        self.assertEqual((error.status, error.message), (404, "Invalid job uid: 00000F"))
        self.assertEqual(self.call_fails("server.history.get_job", uid="zz").status, 404)

    def test_delete_one_then_all(self) -> None:
        self.assertEqual(self.call("server.history.delete_job", uid="000002"), {"deleted_jobs": ["000002"]})
        self.assertEqual(self.call_fails("server.history.delete_job", uid="000002").status, 404)
        self.assertEqual(self.call("server.history.delete_job", all=True),
                         {"deleted_jobs": ["000001", "000003", "000004", "000005"]})
        self.assertEqual(self.call("server.history.list"), {"count": 0, "jobs": []})
        self.assertEqual(self.call("server.history.totals")["job_totals"]["total_jobs"], 5)

    def test_ids_continue_after_the_highest(self) -> None:
        self.call("server.history.delete_job", uid="000005")
        self.print_job("again.gcode")
        self.assertEqual(self.ids()[0], "000005")

    def test_the_job_in_progress_is_not_deleted(self) -> None:
        self.push_stats(state="printing", filename="x.gcode", total_duration=0.0)
        self.assertEqual(self.call_fails("server.history.delete_job", uid="000006").status, 400)
        self.assertNotIn("000006", self.call("server.history.delete_job", all=True)["deleted_jobs"])
        self.assertEqual(self.ids(), ["000006"])

    def test_reset_totals(self) -> None:
        totals = self.call("server.history.totals")["job_totals"]
        self.assertEqual(totals["total_jobs"], 5)
        self.assertEqual(self.call("server.history.reset_totals"), {"last_totals": totals, "last_auxiliary_totals": []})
        self.assertEqual(self.call("server.history.totals")["job_totals"]["total_jobs"], 0)
        self.push_stats(state="printing", filename="x.gcode", total_duration=0.0)
        self.call_fails("server.history.reset_totals")

    def test_totals_read_imported_rows(self) -> None:
        self.namespace.data["job_totals"] = [
            {"provider": "history", "field": "total_jobs", "maximum": 0, "total": 42},
            {"provider": "history", "field": "longest_print", "maximum": 9000.5, "total": 0},
            {"provider": "sensor", "field": "total_jobs", "maximum": 0, "total": 7}]
        totals = self.call("server.history.totals")["job_totals"]
        self.assertEqual((totals["total_jobs"], totals["longest_print"], totals["total_time"]), (42, 9000.5, 0.0))
