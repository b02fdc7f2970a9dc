"""The file API on the real daemon as clients see it: the fields of web_api.md, what Mainsail
sends (a batch of 100 metadata requests, an upload from another origin), metadata across a restart."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from twisted.trial.unittest import TestCase

from tests.integration.clients import connect_websocket, http_client
from tests.integration.daemon import BASE_CONFIG, RunningDaemon, start_daemon
from tests.integration.files_client import BOUNDARY, call, eventually, form, post_form
from tests.metadata.helpers import sample
from tests.services.files.test_metadata_store import gcode_with_thumbnail

ITEM = {"path", "root", "size", "modified", "permissions"}
GONE = {"size": 0, "modified": 0, "permissions": ""}
# The fields of web_api.md's metadata example (a PrusaSlicer file with thumbnails has them all).
METADATA = {"print_start_time", "job_id", "size", "modified", "slicer", "slicer_version", "layer_height",
            "first_layer_height", "object_height", "filament_total", "estimated_time", "thumbnails",
            "first_layer_bed_temp", "first_layer_extr_temp", "gcode_start_byte", "gcode_end_byte", "filename"}


def keys(value: dict[str, Any]) -> set[str]:
    return set(value)


class ShapeTests(TestCase):
    async def setUp(self) -> None:
        def prepare(data: Path) -> None:
            (data / "gcodes" / "sub").mkdir(parents=True)
            (data / "gcodes" / "sub" / "part.gcode").write_bytes(gcode_with_thumbnail())
            (data / "gcodes" / "notes.txt").write_text("not a gcode\n")

        self.daemon = await start_daemon(self, BASE_CONFIG, prepare)
        await self.daemon.ctx.component("file_manager").ready
        self.client = await connect_websocket(self, self.daemon.ws_url)

    async def result(self, method: str, **params: Any) -> Any:
        reply = await self.client.call(method, params)
        self.assertIn("result", reply, f"{method}: {reply}")
        return reply["result"]

    def announced(self) -> list[dict[str, Any]]:
        return [n["params"] for n in self.client.notifications if n["method"] == "notify_filelist_changed"]

    async def test_listing_results_have_the_fields_the_api_document_shows(self) -> None:
        roots = await self.result("server.files.roots")
        self.assertEqual([keys(root) for root in roots], [{"name", "path", "permissions"}] * 3)
        listed = await self.result("server.files.list", root="gcodes")
        self.assertEqual([item["path"] for item in listed], ["sub/part.gcode"])
        self.assertEqual(keys(listed[0]), {"path", "modified", "size", "permissions"})
        folder = await self.result("server.files.get_directory", path="gcodes")
        self.assertEqual(keys(folder), {"dirs", "files", "disk_usage", "root_info"})
        self.assertEqual(keys(folder["dirs"][0]), {"modified", "size", "permissions", "dirname"})
        self.assertEqual(keys(folder["files"][0]), {"modified", "size", "permissions", "filename"})
        self.assertEqual(keys(folder["disk_usage"]), {"total", "used", "free"})
        self.assertEqual(folder["root_info"], {"name": "gcodes", "permissions": "rw"})
        extended = await self.result("server.files.get_directory", path="gcodes/sub", extended=True)
        self.assertEqual([info["filename"] for info in extended["files"]], ["part.gcode"])
        self.assertLessEqual(METADATA - {"filename"}, keys(extended["files"][0]))
        self.assertEqual([info["dirname"] for info in extended["dirs"]], [".thumbs"])

    async def test_metadata_and_thumbnails_have_the_fields_the_api_document_shows(self) -> None:
        metadata = await self.result("server.files.metadata", filename="sub/part.gcode")
        self.assertLessEqual(METADATA, keys(metadata))
        self.assertEqual((metadata["filename"], metadata["print_start_time"], metadata["job_id"]),
                         ("sub/part.gcode", None, None))
        self.assertEqual([keys(t) for t in metadata["thumbnails"]], [{"width", "height", "size", "relative_path"}] * 2)
        self.assertEqual(metadata["thumbnails"][0]["relative_path"], ".thumbs/part-32x32.png")
        thumbnails = await self.result("server.files.thumbnails", filename="sub/part.gcode")
        self.assertEqual([keys(t) for t in thumbnails], [{"width", "height", "size", "thumbnail_path"}] * 2)
        self.assertEqual(thumbnails[1]["thumbnail_path"], "sub/.thumbs/part-48x48.png")

    async def test_changes_answer_and_announce_item_and_action_as_the_api_document_shows(self) -> None:
        created = await self.result("server.files.post_directory", path="gcodes/new")
        self.assertEqual((keys(created), keys(created["item"]), created["action"]),
                         ({"item", "action"}, ITEM, "create_dir"))
        copied = await self.result("server.files.copy", source="gcodes/sub/part.gcode", dest="gcodes/new")
        self.assertEqual((keys(copied), keys(copied["item"]), copied["action"]), ({"item", "action"}, ITEM, "create_file"))
        moved = await self.result("server.files.move", source="gcodes/new/part.gcode", dest="gcodes/new/b.gcode")
        self.assertEqual((keys(moved), keys(moved["item"]), moved["action"]),
                         ({"item", "source_item", "action"}, ITEM, "move_file"))
        self.assertEqual(moved["source_item"], {"path": "new/part.gcode", "root": "gcodes"})
        renamed = await self.result("server.files.move", source="gcodes/new", dest="gcodes/renamed")
        self.assertEqual((renamed["action"], renamed["source_item"]), ("move_dir", {"path": "new", "root": "gcodes"}))
        zipped = await self.result("server.files.zip", items=["gcodes/renamed"], dest="config/out.zip")
        self.assertEqual((keys(zipped), keys(zipped["destination"]), zipped["action"]),
                         ({"destination", "action"}, ITEM, "zip_files"))
        deleted = await self.result("server.files.delete_file", path="gcodes/renamed/b.gcode")
        self.assertEqual(deleted, {"item": {"path": "renamed/b.gcode", "root": "gcodes", **GONE},
                                   "action": "delete_file"})
        removed = await self.result("server.files.delete_directory", path="gcodes/renamed", force=True)
        self.assertEqual(removed, {"item": {"path": "renamed", "root": "gcodes", **GONE}, "action": "delete_dir"})
        code, uploaded, _ = await post_form(self, self.daemon.http_url + "/server/files/upload",
                                            form({}, "up.gcode", sample("cura")))
        self.assertEqual((code, keys(uploaded), keys(uploaded["item"])),
                         (201, {"item", "action", "print_started", "print_queued"}, ITEM))
        await eventually(lambda: len(self.announced()) == 8)
        self.assertEqual([params[0]["action"] for params in self.announced()],
                         ["create_dir", "create_file", "move_file", "move_dir", "create_file", "delete_file",
                          "delete_dir", "create_file"])
        for params in self.announced():
            self.assertEqual(len(params), 1)
            moving = params[0]["action"].startswith("move")
            self.assertEqual(keys(params[0]), {"action", "item", "source_item"} if moving else {"action", "item"})
            self.assertEqual(keys(params[0]["item"]), ITEM)
        self.assertEqual(self.announced()[3][0]["source_item"], {"path": "new", "root": "gcodes"})


class MainsailTests(TestCase):
    async def test_batch_of_100_metadata_requests_answers_each_and_a_missing_file_is_32601(self) -> None:
        def prepare(data: Path) -> None:
            (data / "gcodes").mkdir()
            for index in range(99):
                (data / "gcodes" / f"part{index}.gcode").write_bytes(sample("cura"))

        daemon = await start_daemon(self, BASE_CONFIG, prepare)
        await daemon.ctx.component("file_manager").ready
        client = await connect_websocket(self, daemon.ws_url)
        names = [f"part{index}.gcode" for index in range(99)] + ["missing.gcode"]
        batch = [{"jsonrpc": "2.0", "method": "server.files.metadata", "params": {"filename": name}, "id": 1000 + i}
                 for i, name in enumerate(names)]
        client.sendMessage(json.dumps(batch).encode())
        await eventually(lambda: any(isinstance(message, list) for message in client.raw))
        replies = next(message for message in client.raw if isinstance(message, list))
        self.assertEqual([reply["id"] for reply in replies], list(range(1000, 1100)))
        self.assertEqual({reply["result"]["slicer"] for reply in replies[:99]}, {"Cura"})
        self.assertEqual(replies[99]["error"], {"code": -32601, "message": "Metadata not available for missing.gcode"})

    async def test_upload_from_an_allowed_origin_after_its_preflight(self) -> None:
        origin = "https://my.mainsail.xyz"
        daemon = await start_daemon(self, BASE_CONFIG.replace(
            "[server]", "cors_domains:\n    *://my.mainsail.xyz\n\n[server]"))
        await daemon.ctx.component("file_manager").ready
        url = daemon.http_url + "/server/files/upload"
        preflight = await http_client(self).request("OPTIONS", url, headers={
            "Origin": origin, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type"})
        self.assertEqual(preflight.code, 204)
        self.assertEqual(preflight.headers.getRawHeaders("access-control-allow-origin"), [origin])
        self.assertIn("POST", preflight.headers.getRawHeaders("access-control-allow-methods")[0])
        self.assertIn("Content-Type", preflight.headers.getRawHeaders("access-control-allow-headers")[0])
        response = await http_client(self).post(url, data=form({}, "web.gcode", sample("cura")), headers={
            "Origin": origin, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"})
        body = json.loads(await response.text())
        self.assertEqual((response.code, body["item"]["path"]), (201, "web.gcode"))
        self.assertEqual(response.headers.getRawHeaders("access-control-allow-origin"), [origin])
        self.assertEqual((daemon.data_path / "gcodes" / "web.gcode").read_bytes(), sample("cura"))


class RestartTests(TestCase):
    async def start(self, data_path: Path | None = None) -> RunningDaemon:
        daemon = await start_daemon(self, BASE_CONFIG, data_path=data_path)
        await daemon.ctx.component("file_manager").ready
        return daemon

    async def metadata(self, daemon: RunningDaemon, filename: str) -> int:
        code, _ = await call(self, "GET", daemon.http_url + f"/server/files/metadata?filename={filename}")
        return code

    async def test_files_changed_while_stopped_are_pruned_or_scanned_at_the_next_start(self) -> None:
        first = await self.start()
        gcodes = first.data_path / "gcodes"
        code, _, _ = await post_form(self, first.http_url + "/server/files/upload",
                                     form({}, "gone.gcode", gcode_with_thumbnail()))
        self.assertEqual(code, 201)
        metadata = first.ctx.component("file_manager").metadata
        await eventually(lambda: metadata.get("gone.gcode") is not None)
        self.assertTrue((gcodes / ".thumbs" / "gone-48x48.png").is_file())
        await first.service.stopService()
        (gcodes / "gone.gcode").unlink()
        (gcodes / "new.gcode").write_bytes(sample("cura"))
        second = await self.start(first.data_path)
        self.assertEqual(await self.metadata(second, "gone.gcode"), 404)
        self.assertEqual(await self.metadata(second, "new.gcode"), 200)
        self.assertEqual(sorted(second.ctx.component("file_manager").metadata.records.keys()), ["new.gcode"])
        self.assertEqual(list((gcodes / ".thumbs").iterdir()), [])
