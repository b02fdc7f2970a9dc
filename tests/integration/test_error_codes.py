"""Error statuses as Moonraker 0.11 answers them, over HTTP and JSON-RPC.

A missing file or folder is a bad request (400) on both, not a 404 that JSON-RPC
would turn into -32601, which clients read as "this server lacks the API".
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from twisted.trial.unittest import TestCase

from tests.integration.clients import connect_websocket, http_client
from tests.integration.daemon import start_daemon
from tests.integration.test_printer import klippy_ready, start_simulated


async def http(test: TestCase, verb: str, url: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    extra = {} if body is None else {"json": body}
    response = await http_client(test).request(verb, url, **extra)
    return response.code, json.loads(await response.text())


class FileErrorTests(TestCase):
    timeout = 60

    async def setUp(self) -> None:
        def prepare(data: Path) -> None:
            (data / "gcodes" / "full").mkdir(parents=True)
            (data / "gcodes" / "full" / "part.gcode").write_text("G28\n")

        self.daemon = await start_daemon(self, prepare=prepare)
        await self.daemon.ctx.component("file_manager").ready
        self.client = await connect_websocket(self, self.daemon.ws_url)

    async def both(self, verb: str, path: str, method: str, params: dict[str, Any]) -> tuple[int, int]:
        """The HTTP status and the JSON-RPC code of the same failing call."""
        status, body = await http(self, verb, self.daemon.http_url + path, params)
        self.assertEqual(body["error"]["code"], status)
        reply = await self.client.call(method, params)
        return status, reply["error"]["code"]

    async def test_missing_directory_listing_is_400(self) -> None:
        self.assertEqual(await self.both("GET", "/server/files/directory?path=gcodes/nowhere",
                                         "server.files.get_directory", {"path": "gcodes/nowhere"}), (400, 400))

    async def test_move_of_missing_source_is_400(self) -> None:
        self.assertEqual(await self.both("POST", "/server/files/move", "server.files.move",
                                         {"source": "gcodes/none.gcode", "dest": "gcodes/other.gcode"}), (400, 400))

    async def test_delete_of_missing_file_is_400(self) -> None:
        self.assertEqual(await self.both("DELETE", "/server/files/gcodes/none.gcode", "server.files.delete_file",
                                         {"path": "gcodes/none.gcode"}), (400, 400))

    async def test_creating_an_existing_directory_is_400(self) -> None:
        self.assertEqual(await self.both("POST", "/server/files/directory", "server.files.post_directory",
                                         {"path": "gcodes/full"}), (400, 400))

    async def test_deleting_a_non_empty_directory_without_force_is_400(self) -> None:
        self.assertEqual(await self.both("DELETE", "/server/files/directory", "server.files.delete_directory",
                                         {"path": "gcodes/full"}), (400, 400))
        self.assertTrue((self.daemon.data_path / "gcodes" / "full" / "part.gcode").exists())

    async def test_moving_a_folder_onto_an_existing_one_is_400(self) -> None:
        (self.daemon.data_path / "gcodes" / "other" / "full").mkdir(parents=True)
        self.assertEqual(await self.both("POST", "/server/files/move", "server.files.move",
                                         {"source": "gcodes/full", "dest": "gcodes/other"}), (400, 400))

    async def test_zip_of_a_missing_item_is_400(self) -> None:
        self.assertEqual(await self.both("POST", "/server/files/zip", "server.files.zip",
                                         {"items": ["gcodes/none.gcode"], "dest": "gcodes/a.zip"}), (400, 400))

    async def test_what_moonraker_keeps_as_404_is_32601_over_jsonrpc(self) -> None:
        self.assertEqual(await self.both("GET", "/server/files/metadata?filename=none.gcode", "server.files.metadata",
                                         {"filename": "none.gcode"}), (404, -32601))
        self.assertEqual(await self.both("GET", "/server/history/job?uid=00002A", "server.history.get_job",
                                         {"uid": "00002A"}), (404, -32601))
        self.assertEqual(await self.both("GET", "/server/database/item?namespace=fluidd&key=x",
                                         "server.database.get_item", {"namespace": "fluidd", "key": "x"}), (404, -32601))

    async def test_queueing_a_missing_file_is_400(self) -> None:
        self.assertEqual(await self.both("POST", "/server/job_queue/job", "server.job_queue.post_job",
                                         {"filenames": ["none.gcode"]}), (400, 400))

    async def test_only_an_unknown_method_is_32601(self) -> None:
        reply = await self.client.call("server.no_such_method")
        self.assertEqual(reply["error"], {"code": -32601, "message": "Method not found"})


class PrintErrorTests(TestCase):
    timeout = 60

    async def test_printing_a_file_never_uploaded_is_400(self) -> None:
        daemon = await start_simulated(self)
        await klippy_ready(daemon)
        client = await connect_websocket(self, daemon.ws_url)
        status, body = await http(self, "POST", daemon.http_url + "/printer/print/start", {"filename": "none.gcode"})
        reply = await client.call("printer.print.start", {"filename": "none.gcode"})
        self.assertEqual((status, body["error"]["code"], reply["error"]["code"]), (400, 400, 400))


class ObjectsQueryTests(TestCase):
    timeout = 60

    async def test_query_over_post_with_a_json_body(self) -> None:
        daemon = await start_simulated(self)
        await klippy_ready(daemon)
        status, body = await http(self, "POST", daemon.http_url + "/printer/objects/query",
                                  {"objects": {"toolhead": ["position"]}})
        self.assertEqual((status, list(body["result"]["status"])), (200, ["toolhead"]))


class MetascanTests(TestCase):
    async def test_metascan_answers_get_and_post(self) -> None:
        def prepare(data: Path) -> None:
            (data / "gcodes").mkdir()
            (data / "gcodes" / "part.gcode").write_text(";Generated with Cura_SteamEngine 5.2.1\nG28\n")

        daemon = await start_daemon(self, prepare=prepare)
        await daemon.ctx.component("file_manager").ready
        for verb in ("GET", "POST"):
            status, body = await http(self, verb, daemon.http_url + "/server/files/metascan?filename=part.gcode")
            self.assertEqual((status, body["result"]["slicer"]), (200, "Cura"), verb)


class ReadOnlyRootTests(TestCase):
    """Moonraker's statuses for writes into a read-only root (``logs``) and at a root itself."""

    async def setUp(self) -> None:
        self.daemon = await start_daemon(self, prepare=lambda data: (data / "gcodes").mkdir())
        await self.daemon.ctx.component("file_manager").ready
        (self.daemon.data_path / "gcodes" / "a.gcode").write_text("G28\n")
        (self.daemon.data_path / "logs" / "old.log").write_text("x\n")

    async def fails(self, verb: str, path: str, body: dict[str, Any]) -> tuple[int, str]:
        status, answer = await http(self, verb, self.daemon.http_url + path, body)
        return status, answer["error"]["message"]

    async def test_folders_in_a_read_only_root_are_not_supported(self) -> None:
        self.assertEqual(await self.fails("POST", "/server/files/directory", {"path": "logs/new"}),
                         (405, "Operation Not Supported"))
        self.assertEqual(await self.fails("DELETE", "/server/files/directory", {"path": "logs/new"}),
                         (405, "Operation Not Supported"))

    async def test_a_root_cannot_be_deleted(self) -> None:
        self.assertEqual(await self.fails("DELETE", "/server/files/directory", {"path": "gcodes"}),
                         (400, "Cannot delete root directory"))

    async def test_moves_copies_and_zips_into_a_read_only_root_are_400(self) -> None:
        self.assertEqual(await self.fails("POST", "/server/files/copy", {"source": "gcodes/a.gcode", "dest": "logs/a"}),
                         (400, "Destination path is read-only: logs"))
        self.assertEqual(await self.fails("POST", "/server/files/move", {"source": "logs/old.log", "dest": "gcodes/o"}),
                         (400, "Source path is read-only, cannot move: logs"))
        self.assertEqual(await self.fails("POST", "/server/files/zip", {"items": ["gcodes/a.gcode"], "dest": "logs/a.zip"}),
                         (400, "Destination Root 'logs' is read-only"))
