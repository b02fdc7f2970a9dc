"""SIGKILL the real daemon (``twistd moontwist``) at each step of an update, then restart it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from twisted.trial.unittest import TestCase

from tests.integration.clients import http_client
from tests.integration.daemon import short_temp_dir
from tests.integration.process import spawn_daemon
from tests.services.update_manager.fake_github import release_zip, start_fake_github
from tests.services.update_manager.fixtures import host_programs, origin_in, update_config
from tests.services.update_manager.test_web import install_v1, web_config


class Daemon:
    def __init__(self, test: TestCase, data: Path) -> None:
        self.process = spawn_daemon(data)
        test.addCleanup(self.process.kill)
        self.url = ""

    async def start(self) -> "Daemon":
        ports = await self.process.listening
        self.url = f"http://127.0.0.1:{ports['HTTP']}"
        return self

    async def post(self, path: str) -> tuple[int, Any]:
        response = await http_client(None).post(self.url + path)
        return response.code, json.loads(await response.content())

    async def info(self, name: str) -> dict[str, Any]:
        response = await http_client(None).get(self.url + "/machine/update/status")
        return dict(json.loads(await response.content())["result"]["version_info"][name])

    async def stop(self) -> None:
        self.process.signal("TERM")
        await self.process.ended


async def killed_during(test: TestCase, data: Path, path: str) -> None:
    """Ask for an update; the daemon dies under it, so no reply comes."""
    daemon = await Daemon(test, data).start()
    try:
        await daemon.post(path)
    except Exception:
        pass
    await daemon.process.ended


class GitPowerLossTests(TestCase):
    timeout = 120

    async def crash_at(self, step: str, expect_new: bool) -> None:
        programs = host_programs(self)
        origin = origin_in(self)
        _, newest = origin.advance()
        data = short_temp_dir(self)
        (data / "config").mkdir()
        (data / "config" / "moonraker.conf").write_text(update_config(origin))
        (programs / "crash_on").write_text(step)
        await killed_during(self, data, "/machine/update/klipper")
        (programs / "crash_on").unlink()

        daemon = await Daemon(self, data).start()
        info = await daemon.info("klipper")
        self.assertEqual((info["is_valid"], info["corrupt"], info["is_dirty"]), (True, False, False))
        self.assertEqual(info["current_hash"], newest if expect_new else origin.second)
        if not expect_new:
            code, _ = await daemon.post("/machine/update/klipper")
            self.assertEqual(code, 200)
            self.assertEqual(origin.head(), newest)
        code, body = await daemon.post("/machine/update/rollback?name=klipper")
        self.assertEqual((code, body.get("result")), (200, "ok"))
        self.assertEqual(origin.head(), origin.second)
        info = await daemon.info("klipper")
        self.assertEqual((info["is_valid"], info["version"]), (True, "v0.1.0-1"))
        await daemon.stop()

    async def test_killed_after_fetch(self) -> None:
        await self.crash_at("fetch", expect_new=False)

    async def test_killed_after_the_checkout_is_undone_at_restart(self) -> None:
        await self.crash_at("merge", expect_new=False)

    async def test_killed_while_restarting_services_keeps_the_verified_update(self) -> None:
        await self.crash_at("systemctl", expect_new=True)


class WebPowerLossTests(TestCase):
    timeout = 120

    async def test_killed_during_the_download(self) -> None:
        github = start_fake_github(self)
        path = install_v1(short_temp_dir(self))
        data = short_temp_dir(self)
        (data / "config").mkdir()
        (data / "config" / "moonraker.conf").write_text(web_config(github.base, path))
        github.publish("v2.0.0", release_zip("v2.0.0"))
        daemon = Daemon(self, data)
        github.on_download = lambda: daemon.process.signal("KILL")
        await daemon.start()
        try:
            await daemon.post("/machine/update/client?name=mainsail")
        except Exception:
            pass
        await daemon.process.ended
        github.on_download = None

        restarted = await Daemon(self, data).start()
        info = await restarted.info("mainsail")
        self.assertEqual((info["version"], info["is_valid"]), ("v1.0.0", True))
        self.assertEqual([p.name for p in path.parent.iterdir() if "download" in p.name], [])
        code, _ = await restarted.post("/machine/update/client?name=mainsail")
        self.assertEqual(code, 200)
        self.assertEqual((path / "index.html").read_text(), "<html>v2.0.0</html>")
        code, _ = await restarted.post("/machine/update/rollback?name=mainsail")
        self.assertEqual(code, 200)
        self.assertEqual((path / "index.html").read_text(), "<html>v1</html>")
        await restarted.stop()
