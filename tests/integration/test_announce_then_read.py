"""Every notification that announces a change is sent once the change can be read.

A client (Mainsail's history page, for one) refreshes on the notification: here
the client sends its read the moment the notification arrives, on the same
connection, and must see the change.
"""

from __future__ import annotations

from typing import Any

from twisted.internet.defer import Deferred
from twisted.trial.unittest import TestCase

from tests.integration.clients import RpcClientMixin, connect_websocket
from tests.integration.daemon import start_daemon
from tests.integration.files_client import form, post_form
from tests.integration.test_jobs import extruding_print, start_with_simulator


def read_on(client: RpcClientMixin, method: str, read: str,
            params: dict[str, Any] | None = None) -> "Deferred[tuple[Any, Any]]":
    """Fires with (the next ``method`` notification's params, the result of ``read`` sent on it)."""
    done: Deferred[tuple[Any, Any]] = Deferred()

    def notified(message: dict[str, Any]) -> None:
        client.call(read, params).addCallback(lambda reply: done.callback((message.get("params"), reply["result"])))

    client.next_notification(method).addCallback(notified)
    return done


class JobAnnouncementTests(TestCase):
    timeout = 120

    async def test_history_added_and_finished_are_readable_on_arrival(self) -> None:
        daemon = await start_with_simulator(self)
        (daemon.data_path / "gcodes" / "part.gcode").write_text(extruding_print(lines=8))
        client = await connect_websocket(self, daemon.ws_url)
        added = read_on(client, "notify_history_changed", "server.history.list")
        await client.call("printer.print.start", {"filename": "part.gcode"})
        params, listed = await added
        self.assertEqual(params[0]["action"], "added")
        self.assertEqual([(job["job_id"], job["status"]) for job in listed["jobs"]],
                         [(params[0]["job"]["job_id"], "in_progress")])
        finished = read_on(client, "notify_history_changed", "server.history.list")
        params, listed = await finished
        self.assertEqual((params[0]["action"], listed["jobs"][0]["status"]), ("finished", "completed"))
        totals = await client.call("server.history.totals")
        self.assertEqual(totals["result"]["job_totals"]["total_jobs"], 1)

    async def test_history_totals_count_the_job_when_finished_arrives(self) -> None:
        daemon = await start_with_simulator(self)
        (daemon.data_path / "gcodes" / "part.gcode").write_text(extruding_print(lines=8))
        client = await connect_websocket(self, daemon.ws_url)
        await client.call("printer.print.start", {"filename": "part.gcode"})
        while True:
            params, totals = await read_on(client, "notify_history_changed", "server.history.totals")
            if params[0]["action"] == "finished":
                break
        self.assertEqual(totals["job_totals"]["total_jobs"], 1)

    async def test_job_queue_change_is_readable_on_arrival(self) -> None:
        daemon = await start_daemon(self, prepare=lambda data: (data / "gcodes").mkdir())
        (daemon.data_path / "gcodes" / "a.gcode").write_text("G28\n")
        client = await connect_websocket(self, daemon.ws_url)
        changed = read_on(client, "notify_job_queue_changed", "server.job_queue.status")
        await client.call("server.job_queue.post_job", {"filenames": ["a.gcode"]})
        params, status = await changed
        self.assertEqual(params[0]["action"], "jobs_added")
        self.assertEqual([job["filename"] for job in status["queued_jobs"]], ["a.gcode"])


class FileAnnouncementTests(TestCase):
    async def setUp(self) -> None:
        self.daemon = await start_daemon(self)
        await self.daemon.ctx.component("file_manager").ready
        self.client = await connect_websocket(self, self.daemon.ws_url)

    async def test_new_folder_is_listed_on_arrival(self) -> None:
        changed = read_on(self.client, "notify_filelist_changed", "server.files.get_directory", {"path": "gcodes"})
        await self.client.call("server.files.post_directory", {"path": "gcodes/new"})
        params, listing = await changed
        self.assertEqual(params[0]["action"], "create_dir")
        self.assertEqual([folder["dirname"] for folder in listing["dirs"]], ["new"])

    async def test_copied_gcode_has_metadata_on_arrival(self) -> None:
        (self.daemon.data_path / "gcodes" / "a.gcode").write_text(";Generated with Cura_SteamEngine 5.4.0\nG28\n")
        await self.client.call("server.files.metascan", {"filename": "a.gcode"})
        changed = read_on(self.client, "notify_filelist_changed", "server.files.metadata", {"filename": "b.gcode"})
        await self.client.call("server.files.copy", {"source": "gcodes/a.gcode", "dest": "gcodes/b.gcode"})
        params, metadata = await changed
        self.assertEqual((params[0]["action"], metadata["slicer"]), ("create_file", "Cura"))


    async def test_uploaded_gcode_has_metadata_on_arrival(self) -> None:
        changed = read_on(self.client, "notify_filelist_changed", "server.files.metadata", {"filename": "up.gcode"})
        code, _, _ = await post_form(self, self.daemon.http_url + "/server/files/upload",
                                     form({}, "up.gcode", b";Generated with Cura_SteamEngine 5.4.0\nG28\n"))
        params, metadata = await changed
        self.assertEqual((code, params[0]["action"], metadata["slicer"]), (201, "create_file", "Cura"))

    async def test_moved_gcode_has_its_metadata_at_the_new_path_on_arrival(self) -> None:
        (self.daemon.data_path / "gcodes" / "a.gcode").write_text(";Generated with Cura_SteamEngine 5.4.0\nG28\n")
        await self.client.call("server.files.metascan", {"filename": "a.gcode"})
        changed = read_on(self.client, "notify_filelist_changed", "server.files.metadata", {"filename": "c.gcode"})
        await self.client.call("server.files.move", {"source": "gcodes/a.gcode", "dest": "gcodes/c.gcode"})
        params, metadata = await changed
        self.assertEqual((params[0]["action"], metadata["slicer"]), ("move_file", "Cura"))

    async def test_deleted_gcode_is_gone_from_the_listing_on_arrival(self) -> None:
        (self.daemon.data_path / "gcodes" / "a.gcode").write_text("G28\n")
        changed = read_on(self.client, "notify_filelist_changed", "server.files.list", {"root": "gcodes"})
        await self.client.call("server.files.delete_file", {"path": "gcodes/a.gcode"})
        params, listed = await changed
        self.assertEqual((params[0]["action"], listed), ("delete_file", []))


class UserAnnouncementTests(TestCase):
    async def test_created_and_deleted_users_are_listed_on_arrival(self) -> None:
        daemon = await start_daemon(self)
        client = await connect_websocket(self, daemon.ws_url)
        created = read_on(client, "notify_user_created", "access.users.list")
        await client.call("access.post_user", {"username": "bob", "password": "s3cret-pass"})
        _, users = await created
        self.assertEqual([user["username"] for user in users["users"]], ["bob"])
        deleted = read_on(client, "notify_user_deleted", "access.users.list")
        await client.call("access.delete_user", {"username": "bob"})
        _, users = await deleted
        self.assertEqual(users["users"], [])


class KlippyAnnouncementTests(TestCase):
    timeout = 60

    async def test_klippy_state_is_readable_on_each_announcement(self) -> None:
        daemon = await start_with_simulator(self)
        client = await connect_websocket(self, daemon.ws_url)
        shutdown = read_on(client, "notify_klippy_shutdown", "server.info")
        await client.call("printer.emergency_stop")
        self.assertEqual((await shutdown)[1]["klippy_state"], "shutdown")
        disconnected = read_on(client, "notify_klippy_disconnected", "server.info")
        ready = read_on(client, "notify_klippy_ready", "server.info")
        await client.call("printer.firmware_restart")
        self.assertEqual((await disconnected)[1]["klippy_connected"], False)
        self.assertEqual((await ready)[1]["klippy_state"], "ready")
