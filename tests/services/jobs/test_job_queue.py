"""job_queue: states, loading through Klippy, transitions, persistence and notifications."""

from __future__ import annotations

from typing import Any

from twisted.internet.defer import fail

from moontwist.api import Request
from moontwist.errors import ApiError
from moontwist.services.jobs import JobQueueService
from moontwist.services.jobs.queue_records import QueueRecords
from tests.services.jobs.helpers import HeldNamespace, JobsTestCase, MemoryNamespace


class QueueTestCase(JobsTestCase):
    options: dict[str, Any] = {}

    def setUp(self) -> None:
        super().setUp()
        self.namespace = MemoryNamespace("job_queue")
        self.job_state.startService()
        for name in ("a.gcode", "b.gcode", "sub/c.gcode"):
            self.gcode(name)

    def start_queue(self, **options: Any) -> JobQueueService:
        self.queue = JobQueueService(self.ctx, self.files, QueueRecords(self.namespace),  # type: ignore[arg-type]
                                     **{**self.options, **options})
        self.ctx.add_component("job_queue", self.queue)
        self.queue.startService()
        return self.queue

    def call(self, method: str, **args: Any) -> Any:
        return self.successResultOf(self.ctx.registry.dispatch(Request(method, args)))

    def call_fails(self, method: str, **args: Any) -> ApiError:
        return self.failureResultOf(self.ctx.registry.dispatch(Request(method, args)), ApiError).value

    def filenames(self) -> list[str]:
        return [job["filename"] for job in self.call("server.job_queue.status")["queued_jobs"]]

    def prints_sent(self) -> list[str]:
        return [r["params"]["script"] for r in self.klippy.requests("gcode/script")]

    def stored(self) -> dict[str, Any]:
        return self.namespace.data["queue"]

    def run_load(self, delay: float = 0.01) -> None:
        self.reactor.advance(delay)
        self.klippy.pump()


class AnnounceAfterStoreTests(QueueTestCase):
    def test_a_change_is_announced_once_stored_and_a_read_on_it_sees_it(self) -> None:
        self.namespace = HeldNamespace("job_queue")
        self.start_queue()
        seen: list[Any] = []
        self.client.next_notification("notify_job_queue_changed").addCallback(
            lambda params: seen.append((params[0]["action"], self.filenames(), self.stored()["jobs"][0]["filename"])))
        answer = self.ctx.registry.dispatch(Request("server.job_queue.post_job", {"filenames": ["a.gcode"]}))
        self.reactor.advance(1)
        self.assertEqual((seen, self.namespace.data), ([], {}))
        self.namespace.commit()
        self.assertEqual(seen, [("jobs_added", ["a.gcode"], "a.gcode")])
        self.assertEqual(self.successResultOf(answer)["queue_state"], "paused")


    def test_start_answers_loading_even_if_the_load_begins_before_the_store_is_acknowledged(self) -> None:
        self.namespace = HeldNamespace("job_queue")
        self.start_queue()
        self.connect()
        added = self.ctx.registry.dispatch(Request("server.job_queue.post_job", {"filenames": ["a.gcode"]}))
        self.namespace.commit()
        job_id = self.successResultOf(added)["queued_jobs"][0]["job_id"]
        answer = self.ctx.registry.dispatch(Request("server.job_queue.start", {}))
        self.run_load()
        self.assertEqual(self.prints_sent(), ['SDCARD_PRINT_FILE FILENAME="a.gcode"'])
        self.assertNoResult(answer)
        self.namespace.commit()
        status = self.successResultOf(answer)
        self.assertEqual(([job["job_id"] for job in status["queued_jobs"]], status["queue_state"]),
                         ([job_id], "loading"))


class QueueApiTests(QueueTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.start_queue()
        self.connect()

    def test_post_status_and_shapes(self) -> None:
        self.reactor.advance(5)
        status = self.call("server.job_queue.post_job", filenames=["a.gcode", "/sub/c.gcode", "a.gcode"])
        self.assertEqual(status["queue_state"], "paused")
        self.assertEqual([job["filename"] for job in status["queued_jobs"]], ["a.gcode", "sub/c.gcode", "a.gcode"])
        job = status["queued_jobs"][0]
        self.assertEqual(sorted(job), ["filename", "job_id", "time_added", "time_in_queue"])
        self.assertRegex(job["job_id"], "^[0-9A-F]{16}$")
        self.assertEqual(len({job["job_id"] for job in status["queued_jobs"]}), 3)
        self.reactor.advance(2)
        self.assertEqual(self.call("server.job_queue.status")["queued_jobs"][0]["time_in_queue"], 2.0)

    def test_comma_separated_filenames_over_http(self) -> None:
        self.call("server.job_queue.post_job", filenames="a.gcode,b.gcode")
        self.assertEqual(self.filenames(), ["a.gcode", "b.gcode"])

    def test_a_missing_file_fails_the_whole_request_and_changes_nothing(self) -> None:
        self.call("server.job_queue.post_job", filenames=["a.gcode"])
        writes = self.namespace.writes
        error = self.call_fails("server.job_queue.post_job", filenames=["b.gcode", "nope.gcode"], reset=True)
        self.assertEqual(error.message, "G-Code File nope.gcode does not exist")
        self.assertEqual(self.filenames(), ["a.gcode"])
        self.assertEqual(self.namespace.writes, writes)
        self.call_fails("server.job_queue.post_job", filenames=["../outside.gcode"])

    def test_reset_delete_all_and_jump(self) -> None:
        self.call("server.job_queue.post_job", filenames=["a.gcode", "b.gcode"])
        self.call("server.job_queue.post_job", filenames=["b.gcode", "a.gcode", "sub/c.gcode"], reset=True)
        ids = [job["job_id"] for job in self.call("server.job_queue.status")["queued_jobs"]]
        self.call("server.job_queue.jump", job_id=ids[2])
        self.assertEqual(self.filenames(), ["sub/c.gcode", "b.gcode", "a.gcode"])
        self.call_fails("server.job_queue.jump", job_id="0000000000000000")
        status = self.call("server.job_queue.delete_job", job_ids=[ids[0], "FFFFFFFFFFFFFFFF"])
        self.assertEqual([job["filename"] for job in status["queued_jobs"]], ["sub/c.gcode", "a.gcode"])
        self.assertEqual(self.call("server.job_queue.delete_job", all=True)["queued_jobs"], [])

    def test_every_change_is_stored_and_notified(self) -> None:
        self.call("server.job_queue.post_job", filenames=["a.gcode"])
        self.assertEqual([job["filename"] for job in self.stored()["jobs"]], ["a.gcode"])
        [change] = self.notified("notify_job_queue_changed")
        self.assertEqual(change["action"], "jobs_added")
        self.assertEqual(change["queue_state"], "paused")
        self.assertEqual([job["filename"] for job in change["updated_queue"]], ["a.gcode"])
        self.call("server.job_queue.delete_job", all=True)
        self.assertEqual(self.notified("notify_job_queue_changed")[-1],
                         {"action": "jobs_removed", "updated_queue": [], "queue_state": "paused"})
        self.assertEqual(self.stored(), {"state": "paused", "jobs": []})

    def test_a_jump_is_stored_and_notified_with_the_new_order(self) -> None:
        self.call("server.job_queue.post_job", filenames=["a.gcode", "b.gcode"])
        self.reactor.advance(0.05)
        last = self.queue.status()["queued_jobs"][-1]["job_id"]
        self.call("server.job_queue.jump", job_id=last)
        self.assertEqual([job["filename"] for job in self.stored()["jobs"]], ["b.gcode", "a.gcode"])
        self.reactor.advance(0.05)
        change = self.notified("notify_job_queue_changed")[-1]
        self.assertEqual((change["action"], change["queue_state"]), ("job_jumped", "paused"))
        self.assertEqual([job["filename"] for job in change["updated_queue"]], ["b.gcode", "a.gcode"])

    def test_start_when_idle_loads_the_first_job(self) -> None:
        self.call("server.job_queue.post_job", filenames=["a.gcode", "b.gcode"])
        self.assertEqual(self.call("server.job_queue.start")["queue_state"], "loading")
        self.run_load()
        self.assertEqual(self.prints_sent(), ['SDCARD_PRINT_FILE FILENAME="a.gcode"'])
        self.assertEqual(self.filenames(), ["b.gcode"])
        self.assertEqual(self.call("server.job_queue.status")["queue_state"], "paused")
        self.reactor.advance(0.05)
        actions = [(c["action"], c["queue_state"]) for c in self.notified("notify_job_queue_changed")]
        self.assertIn(("job_loaded", "paused"), actions)
        self.assertEqual(self.stored()["state"], "paused")

    def test_start_with_an_empty_queue_stays_paused(self) -> None:
        self.assertEqual(self.call("server.job_queue.start")["queue_state"], "paused")

    def test_pause_cancels_a_pending_load(self) -> None:
        self.call("server.job_queue.post_job", filenames=["a.gcode"])
        self.call("server.job_queue.start")
        self.assertEqual(self.call("server.job_queue.pause")["queue_state"], "paused")
        self.run_load(1)
        self.assertEqual(self.prints_sent(), [])

    def test_a_load_that_fails_pauses_the_queue_and_keeps_the_job(self) -> None:
        self.call("server.job_queue.post_job", filenames=["a.gcode"])
        (self.gcodes / "a.gcode").unlink()
        self.call("server.job_queue.start")
        self.run_load()
        self.assertEqual(self.prints_sent(), [])
        self.assertEqual(self.call("server.job_queue.status")["queue_state"], "paused")
        self.assertEqual(self.filenames(), ["a.gcode"])

    def test_remote_methods_from_klippy_macros(self) -> None:
        self.assertIn("pause_job_queue", self.klippy.remote_methods)
        self.assertIn("start_job_queue", self.klippy.remote_methods)
        self.call("server.job_queue.post_job", filenames=["a.gcode"])
        self.klippy.send({"method": "start_job_queue", "params": {}})
        self.assertEqual(self.queue.state.value, "loading")
        self.klippy.send({"method": "pause_job_queue", "params": {}})
        self.assertEqual(self.queue.state.value, "paused")

    def test_start_while_printing_without_automatic_transition_stays_paused(self) -> None:
        self.push_stats(state="printing", filename="x.gcode")
        self.call("server.job_queue.post_job", filenames=["a.gcode"])
        self.assertEqual(self.call("server.job_queue.start")["queue_state"], "paused")


class AutomaticTransitionTests(QueueTestCase):
    options = {"automatic_transition": True, "transition_delay": 2.0, "transition_gcode": "M117 next\nG28"}

    def setUp(self) -> None:
        super().setUp()
        self.start_queue()
        self.connect()

    def complete_current(self) -> None:
        self.push_stats(state="complete")

    def test_three_jobs_one_after_another(self) -> None:
        self.call("server.job_queue.post_job", filenames=["a.gcode", "b.gcode", "sub/c.gcode"])
        self.call("server.job_queue.start")
        self.run_load()
        self.assertEqual(self.call("server.job_queue.status")["queue_state"], "ready")
        self.push_stats(state="printing", filename="a.gcode")
        self.complete_current()
        self.assertEqual(self.queue.state.value, "loading")
        self.run_load(1.9)
        self.assertEqual(len(self.prints_sent()), 1)
        self.run_load(0.1)
        self.assertEqual(self.prints_sent()[1:], ["M117 next\nG28", 'SDCARD_PRINT_FILE FILENAME="b.gcode"'])
        self.assertEqual(self.queue.state.value, "ready")
        self.push_stats(state="printing", filename="b.gcode")
        self.complete_current()
        self.run_load(2.0)
        self.assertEqual(self.prints_sent()[-1], 'SDCARD_PRINT_FILE FILENAME="sub/c.gcode"')
        self.assertEqual(self.call("server.job_queue.status"), {"queued_jobs": [], "queue_state": "paused"})

    def test_queueing_while_printing_makes_the_queue_ready(self) -> None:
        self.push_stats(state="printing", filename="x.gcode")
        self.assertEqual(self.call("server.job_queue.post_job", filenames=["a.gcode"])["queue_state"], "ready")
        self.complete_current()
        self.run_load(2.0)
        self.assertEqual(self.prints_sent()[-1], 'SDCARD_PRINT_FILE FILENAME="a.gcode"')

    def test_an_error_or_cancel_pauses_the_queue(self) -> None:
        self.push_stats(state="printing", filename="x.gcode")
        self.call("server.job_queue.post_job", filenames=["a.gcode"])
        self.push_stats(state="cancelled")
        self.assertEqual(self.queue.state.value, "paused")
        self.run_load(5)
        self.assertEqual(self.prints_sent(), [])

    def test_pause_during_transition_gcode_stops_the_load(self) -> None:
        self.klippy.silent.add("gcode/script")
        self.push_stats(state="printing", filename="x.gcode")
        self.call("server.job_queue.post_job", filenames=["a.gcode"])
        self.complete_current()
        self.run_load(2.0)
        self.call("server.job_queue.pause")
        [transition] = self.klippy.unanswered
        self.klippy.answer(transition, {})
        self.assertEqual(self.queue.state.value, "paused")
        self.assertEqual(len(self.klippy.requests("gcode/script")), 1)
        self.assertEqual(self.filenames(), ["a.gcode"])

    def test_klippy_shutdown_pauses_the_queue(self) -> None:
        self.push_stats(state="printing", filename="x.gcode")
        self.call("server.job_queue.post_job", filenames=["a.gcode"])
        self.klippy.push({"webhooks": {"state": "shutdown"}})
        self.assertEqual(self.queue.state.value, "paused")


class StartupTests(QueueTestCase):
    def test_restored_from_the_database_a_cut_load_comes_back_paused(self) -> None:
        self.namespace.data["queue"] = {"state": "loading", "jobs": [
            {"filename": "a.gcode", "job_id": "00000000000000AA", "time_added": 5.0, "user": None},
            {"filename": "b.gcode", "job_id": "00000000000000BB", "time_added": 6.0, "user": "bob"}]}
        self.start_queue()
        status = self.call("server.job_queue.status")
        self.assertEqual(status["queue_state"], "paused")
        self.assertEqual([job["job_id"] for job in status["queued_jobs"]], ["00000000000000AA", "00000000000000BB"])

    def test_ready_state_is_restored(self) -> None:
        self.namespace.data["queue"] = {"state": "ready", "jobs": []}
        self.assertEqual(self.start_queue().state.value, "ready")

    def test_load_on_startup_when_klippy_becomes_ready(self) -> None:
        self.namespace.data["queue"] = {"state": "paused", "jobs": [
            {"filename": "b.gcode", "job_id": "00000000000000BB", "time_added": 6.0, "user": "bob"}]}
        requested: list[Any] = []
        self.ctx.events.on("job_requested", lambda *args: requested.append(args))
        self.start_queue(load_on_startup=True)
        self.connect()
        self.assertEqual(self.queue.state.value, "loading")
        self.run_load(0.99)
        self.assertEqual(self.prints_sent(), [])
        self.run_load(0.01)
        self.assertEqual(self.prints_sent(), ['SDCARD_PRINT_FILE FILENAME="b.gcode"'])
        self.assertEqual(requested, [("b.gcode", "bob")])

    def test_without_load_on_startup_nothing_loads(self) -> None:
        self.namespace.data["queue"] = {"state": "ready", "jobs": [
            {"filename": "b.gcode", "job_id": "00000000000000BB", "time_added": 6.0}]}
        self.start_queue()
        self.connect()
        self.run_load(5)
        self.assertEqual(self.prints_sent(), [])


class StorageFailureTests(QueueTestCase):
    def test_a_change_that_cannot_be_stored_is_an_error(self) -> None:
        self.start_queue()
        self.patch(self.namespace, "insert", lambda key, value: fail(OSError("disk full")))
        error = self.call_fails("server.job_queue.post_job", filenames=["a.gcode"])
        self.assertEqual((error.status, error.message), (500, "Could not save the job queue"))
        self.assertEqual(len(self.flushLoggedErrors()), 0)
