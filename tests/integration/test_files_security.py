"""Every bad path input gets its 4xx from the real daemon and leaves the disk as it was."""

from __future__ import annotations

import os
import shutil
from typing import Any

from twisted.trial.unittest import TestCase

from tests.integration.daemon import BASE_CONFIG, start_daemon
from tests.integration.files_client import call, eventually, form, post_form, snapshot

LONG = "x" * 300


class BadInputTests(TestCase):
    async def setUp(self) -> None:
        self.daemon = await start_daemon(self, BASE_CONFIG)
        await self.daemon.ctx.component("file_manager").ready
        self.url = self.daemon.http_url
        data = self.daemon.data_path
        (data / "gcodes" / "a.gcode").write_bytes(b"G1 X1\n")
        (data / "logs" / "klippy.log").write_text("log\n")
        self.outside = data.parent / (data.name + "-outside")
        self.outside.mkdir()
        self.addCleanup(shutil.rmtree, self.outside)
        (self.outside / "secret.txt").write_text("secret\n")
        os.symlink(self.outside, data / "config" / "escape")
        os.symlink(data / "database", data / "config" / "db")
        self.before = self.disk()

    def disk(self) -> dict[str, Any]:
        data = self.daemon.data_path
        return {name: snapshot(data / name) for name in ("gcodes", "config", "logs")} | {
            "outside": snapshot(self.outside)}

    async def refused(self, method: str, path: str, status: int | tuple[int, ...], **kwargs: Any) -> dict[str, Any]:
        code, body = await call(self, method, self.url + path, **kwargs)
        allowed = status if isinstance(status, tuple) else (status,)
        self.assertIn(code, allowed, f"{method} {path}: {code} {body}")
        self.assertEqual(body["error"]["code"], code)
        self.assertEqual(self.disk(), self.before, f"{method} {path} changed the disk")
        return body

    async def upload_refused(self, fields: dict[str, str], filename: str, status: int) -> None:
        code, body, _ = await post_form(self, self.url + "/server/files/upload", form(fields, filename))
        self.assertEqual(code, status, f"{fields} {filename!r}: {body}")
        self.assertEqual(self.disk(), self.before, f"upload {fields} {filename!r} changed the disk")

    async def test_dot_dot_segments(self) -> None:
        await self.refused("GET", "/server/files/metadata?filename=../config/moonraker.conf", 400)
        await self.refused("GET", "/server/files/gcodes/%2E%2E/config/moonraker.conf", 400)
        await self.refused("DELETE", "/server/files/gcodes/%2E%2E/config/moonraker.conf", 400)
        await self.refused("POST", "/server/files/move?source=gcodes/../config/moonraker.conf&dest=gcodes/x", 400)
        await self.refused("POST", "/server/files/directory?path=gcodes/../../evil", 400)
        await self.upload_refused({"path": "../config"}, "x.gcode", 400)
        await self.upload_refused({}, "../x.gcode", 400)

    async def test_absolute_paths(self) -> None:
        await self.upload_refused({}, "/etc/evil.gcode", 400)
        await self.upload_refused({"path": "/tmp"}, "x.gcode", 400)
        await self.refused("GET", "/server/files/metadata?filename=/etc/passwd", 400)
        await self.refused("GET", "/server/files/directory?path=/etc", 400)

    async def test_symlinks_out_of_a_root(self) -> None:
        await self.refused("GET", "/server/files/config/escape/secret.txt", 403)
        await self.refused("GET", "/server/files/directory?path=config/escape", 403)
        await self.refused("DELETE", "/server/files/config/escape/secret.txt", 403)
        await self.refused("POST", "/server/files/copy?source=config/escape/secret.txt&dest=config/s.txt", 403)
        await self.upload_refused({"root": "config", "path": "escape"}, "x.txt", 403)

    async def test_nul_bytes(self) -> None:
        await self.refused("GET", "/server/files/gcodes/a.gcode%00.txt", 400)
        await self.refused("POST", "/server/files/directory?path=gcodes/a%00b", 400)
        await self.upload_refused({}, "a\x00b.gcode", 400)

    async def test_over_long_names(self) -> None:
        await self.refused("POST", f"/server/files/directory?path=gcodes/{LONG}", 400)
        await self.refused("GET", f"/server/files/gcodes/{LONG}.gcode", 400)
        await self.upload_refused({}, LONG + ".gcode", 400)

    async def test_reserved_names_and_the_database_folder(self) -> None:
        await self.refused("POST", "/server/files/directory?path=gcodes/.moonraker", 403)
        await self.upload_refused({}, ".moonraker", 403)
        await self.refused("GET", "/server/files/config/db/moontwist/data.mdb", 403)
        await self.refused("GET", "/server/files/directory?path=config/.git", 403)
        await self.upload_refused({"path": ".moontwist-upload-x"}, "x.gcode", 403)

    async def test_writes_to_read_only_roots(self) -> None:
        await self.upload_refused({"root": "logs"}, "x.log", 400)
        code, body, _ = await post_form(self, self.url + "/server/files/upload?root=logs", form({}, "x.log"))
        self.assertEqual((code, body["error"]["message"]), (400, "Invalid root request: logs"))
        self.assertEqual(self.disk(), self.before)
        await self.refused("POST", "/server/files/directory?path=logs/new", 405)
        await self.refused("DELETE", "/server/files/logs/klippy.log", 405)
        await self.refused("POST", "/server/files/move?source=gcodes/a.gcode&dest=logs/a.gcode", 400)
        await self.refused("POST", "/server/files/move?source=logs/klippy.log&dest=gcodes/k.log", 400)

    async def test_unknown_roots(self) -> None:
        await self.refused("GET", "/server/files/list?root=nope", 400)
        await self.refused("GET", "/server/files/nope/a.gcode", 404)
        await self.refused("GET", "/server/files/directory?path=nope/sub", 400)
        await self.upload_refused({"root": "nope"}, "x.gcode", 400)


class UnauthenticatedUploadTests(TestCase):
    async def test_upload_without_credentials_is_401_and_leaves_nothing(self) -> None:
        daemon = await start_daemon(self, "[server]\nhost: 127.0.0.1\nport: 0\nssl_port: 0\n")
        await daemon.ctx.component("file_manager").ready
        code, body, _ = await post_form(self, daemon.http_url + "/server/files/upload",
                                        form({}, "x.gcode", b"G1\n" * 10_000))
        self.assertEqual(code, 401)
        await eventually(lambda: snapshot(daemon.data_path / "gcodes") == {})
