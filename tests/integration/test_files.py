"""The file manager on the real daemon: uploads, downloads, operations, notifications."""

from __future__ import annotations

import hashlib
from urllib.parse import quote

from twisted.trial.unittest import TestCase

from tests.integration.clients import connect_websocket, http_client
from tests.integration.daemon import BASE_CONFIG, RunningDaemon, start_daemon
from tests.integration.files_client import (
    BOUNDARY, call, eventually, file_changes, form, pause, post_form, raw_connection, snapshot,
)
from tests.metadata.helpers import sample


class FileTestCase(TestCase):
    config = BASE_CONFIG

    async def start(self) -> RunningDaemon:
        self.daemon = await start_daemon(self, self.config)
        await self.daemon.ctx.component("file_manager").ready
        self.url = self.daemon.http_url
        self.gcodes = self.daemon.data_path / "gcodes"
        return self.daemon


class UploadTests(FileTestCase):
    async def test_upload_of_a_unicode_name_with_spaces_answers_201_with_location(self) -> None:
        await self.start()
        code, body, headers = await post_form(self, self.url + "/server/files/upload",
                                              form({"path": "my prints"}, "Bénchy ü 2.gcode", sample("cura")))
        self.assertEqual(code, 201)
        self.assertEqual(body["item"]["path"], "my prints/Bénchy ü 2.gcode")
        self.assertEqual((body["action"], body["print_started"], body["print_queued"]), ("create_file", False, False))
        self.assertNotIn("result", body)
        location = headers.getRawHeaders("location")[0]
        self.assertEqual(location, self.url + "/server/files/gcodes/" + quote("my prints/Bénchy ü 2.gcode"))
        self.assertEqual((self.gcodes / "my prints" / "Bénchy ü 2.gcode").read_bytes(), sample("cura"))
        download = await http_client(self).get(location)
        self.assertEqual(await download.content(), sample("cura"))

    async def test_checksum_ok_and_mismatch(self) -> None:
        await self.start()
        data = b"G1 X10\n" * 100
        digest = hashlib.sha256(data).hexdigest()
        code, _, _ = await post_form(self, self.url + "/server/files/upload",
                                     form({"checksum": digest}, "ok.gcode", data))
        self.assertEqual(code, 201)
        code, body, _ = await post_form(self, self.url + "/server/files/upload",
                                        form({"checksum": "0" * 64}, "bad.gcode", data))
        self.assertEqual(code, 422)
        self.assertIn("File checksum mismatch", body["error"]["message"])
        self.assertEqual(sorted(snapshot(self.gcodes)), ["ok.gcode"])

    async def test_fields_after_the_file_part_still_count(self) -> None:
        await self.start()
        body = form({}, "printer.cfg", b"[printer]\n", complete=False)
        body += (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="root"\r\n\r\n'
                 f'config\r\n--{BOUNDARY}--\r\n').encode()
        code, answer, _ = await post_form(self, self.url + "/server/files/upload", body)
        self.assertEqual((code, answer["item"]["root"]), (201, "config"))
        self.assertEqual((self.daemon.data_path / "config" / "printer.cfg").read_bytes(), b"[printer]\n")
        self.assertEqual(snapshot(self.gcodes), {})

    async def test_upload_is_announced_once_after_its_metadata(self) -> None:
        await self.start()
        client = await connect_websocket(self, self.daemon.ws_url)
        announced = client.next_notification("notify_filelist_changed")
        await post_form(self, self.url + "/server/files/upload", form({}, "cube.gcode", sample("prusaslicer")))
        payload = (await announced)["params"][0]
        self.assertEqual((payload["action"], payload["item"]["path"]), ("create_file", "cube.gcode"))
        code, metadata = await call(self, "GET", self.url + "/server/files/metadata?filename=cube.gcode")
        self.assertEqual((code, metadata["result"]["slicer"]), (200, "PrusaSlicer"))
        await pause(1.5)
        self.assertEqual(file_changes(client), [("create_file", "cube.gcode")])

    async def test_too_large_upload_is_413_before_the_body_and_nothing_is_written(self) -> None:
        self.config = BASE_CONFIG + "max_upload_size: 1\n"
        await self.start()
        client = await raw_connection(self.daemon.port_of("http"))
        client.transport.write(
            b"POST /server/files/upload HTTP/1.1\r\nHost: p\r\nExpect: 100-continue\r\n"
            + f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n".encode()
            + b"Content-Length: 2000000\r\n\r\n")
        await eventually(lambda: b"\r\n\r\n" in client.received)
        self.assertTrue(client.received.startswith(b"HTTP/1.1 413 "), client.received)
        self.assertNotIn(b"100 Continue", client.received)
        self.assertIn(b'"code":413', client.received)
        client.transport.loseConnection()
        await client.closed
        self.assertEqual(snapshot(self.gcodes), {})

    async def test_chunked_upload_over_the_limit_is_413_with_no_file_left(self) -> None:
        self.config = BASE_CONFIG + "max_upload_size: 1\n"
        await self.start()
        client = await raw_connection(self.daemon.port_of("http"))
        client.transport.write(
            b"POST /server/files/upload HTTP/1.1\r\nHost: p\r\nTransfer-Encoding: chunked\r\n"
            + f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n\r\n".encode())
        body = form({}, "big.gcode", b"G1\n" * 400_000, complete=False)
        for start in range(0, len(body), 65536):
            piece = body[start:start + 65536]
            client.transport.write(b"%x\r\n%s\r\n" % (len(piece), piece))
        await eventually(lambda: b"\r\n\r\n" in client.received)
        self.assertTrue(client.received.startswith(b"HTTP/1.1 413 "), client.received)
        client.transport.write(b"0\r\n\r\n")
        await client.closed
        # The partial file is removed on the writer thread, maybe just after the answer.
        await eventually(lambda: snapshot(self.gcodes) == {})

    async def test_client_disconnect_mid_upload_leaves_no_temp_file(self) -> None:
        await self.start()
        body = form({}, "cut.gcode", b"G1 X1\n" * 100_000)
        client = await raw_connection(self.daemon.port_of("http"))
        client.transport.write(
            b"POST /server/files/upload HTTP/1.1\r\nHost: p\r\n"
            + f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
            + body[:300_000])
        await eventually(lambda: any(name.startswith(".moontwist-upload") for name in snapshot(self.gcodes)))
        client.transport.abortConnection()
        await client.closed
        await eventually(lambda: snapshot(self.gcodes) == {})

    async def test_truncated_multipart_and_missing_file_part_are_400_with_no_file(self) -> None:
        await self.start()
        for body, message in ((form({}, "t.gcode", b"G1\n" * 1000, complete=False), "truncated"),
                              (form({"root": "gcodes"}, None), "No file part")):
            code, answer, _ = await post_form(self, self.url + "/server/files/upload", body)
            self.assertEqual(code, 400)
            self.assertIn(message, answer["error"]["message"])
        await eventually(lambda: snapshot(self.gcodes) == {})


class DownloadTests(FileTestCase):
    async def test_range_etag_and_content_type(self) -> None:
        await self.start()
        (self.gcodes / "r.gcode").write_bytes(b"0123456789")
        url = self.url + "/server/files/gcodes/r.gcode"
        whole = await http_client(self).get(url)
        self.assertEqual(await whole.content(), b"0123456789")
        self.assertEqual(whole.headers.getRawHeaders("content-type"), ["text/plain; charset=utf-8"])
        etag = whole.headers.getRawHeaders("etag")[0]
        self.assertTrue(whole.headers.hasHeader("last-modified"))
        part = await http_client(self).get(url, headers={"Range": "bytes=2-5"})
        self.assertEqual((part.code, await part.content()), (206, b"2345"))
        self.assertEqual(part.headers.getRawHeaders("content-range"), ["bytes 2-5/10"])
        cached = await http_client(self).get(url, headers={"If-None-Match": etag})
        self.assertEqual((cached.code, await cached.content()), (304, b""))

    async def test_missing_theme_file_is_a_json_404(self) -> None:
        await self.start()
        code, body = await call(self, "GET", self.url + "/server/files/config/.theme/default.json")
        self.assertEqual((code, body["error"]["code"]), (404, 404))

    async def test_delete_over_http(self) -> None:
        await self.start()
        (self.gcodes / "d.gcode").write_bytes(b"G1\n")
        code, body = await call(self, "DELETE", self.url + "/server/files/gcodes/d.gcode")
        self.assertEqual((code, body["result"]["action"]), (200, "delete_file"))
        self.assertFalse((self.gcodes / "d.gcode").exists())

    async def test_log_files(self) -> None:
        await self.start()
        (self.daemon.data_path / "logs" / "klippy.log").write_text("klippy says hi\n")
        response = await http_client(self).get(self.url + "/server/files/klippy.log")
        self.assertEqual(await response.content(), b"klippy says hi\n")
        code, _ = await call(self, "GET", self.url + "/server/files/moonraker.log")
        self.assertEqual(code, 404)


class OperationTests(FileTestCase):
    async def test_copy_and_move_into_a_folder_created_a_moment_earlier_work_at_once(self) -> None:
        await self.start()
        (self.gcodes / "a.gcode").write_bytes(sample("cura"))
        client = await connect_websocket(self, self.daemon.ws_url)
        for index in range(3):
            created = await client.call("server.files.post_directory", {"path": f"gcodes/new{index}"})
            copied = await client.call("server.files.copy", {"source": "gcodes/a.gcode", "dest": f"gcodes/new{index}"})
            moved = await client.call("server.files.move", {"source": f"gcodes/new{index}/a.gcode",
                                                            "dest": f"gcodes/new{index}/b.gcode"})
            self.assertEqual((created["result"]["action"], copied["result"]["action"], moved["result"]["action"]),
                             ("create_dir", "create_file", "move_file"))
        self.assertTrue((self.gcodes / "new2" / "b.gcode").is_file())

    async def test_a_deleted_tree_is_announced_once(self) -> None:
        await self.start()
        (self.gcodes / "tree" / "sub").mkdir(parents=True)
        for index in range(20):
            (self.gcodes / "tree" / "sub" / f"{index}.gcode").write_bytes(b"G1\n")
        client = await connect_websocket(self, self.daemon.ws_url)
        answer = await client.call("server.files.delete_directory", {"path": "gcodes/tree", "force": True})
        self.assertEqual(answer["result"]["action"], "delete_dir")
        await eventually(lambda: file_changes(client))
        await pause(1.5)
        self.assertEqual(file_changes(client), [("delete_dir", "tree")])
