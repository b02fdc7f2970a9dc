"""``web`` clients installed from release zips served by a loopback fake of GitHub."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from twisted.trial.unittest import TestCase

from tests.integration.clients import connect_websocket
from tests.integration.daemon import BASE_CONFIG, short_temp_dir, start_daemon
from tests.services.machine.helpers import calls
from tests.services.update_manager.fake_github import RESET_TIME, release_zip, start_fake_github
from tests.services.update_manager.fixtures import host_programs
from tests.services.update_manager.test_git_repo import get, post


def install_v1(root: Path) -> Path:
    path = root / "mainsail"
    path.mkdir()
    (path / "index.html").write_text("<html>v1</html>")
    (path / "config.json").write_text('{"instances": ["mine"]}')
    (path / "release_info.json").write_text(json.dumps(
        {"project_name": "mainsail", "project_owner": "mainsail-crew", "version": "v1.0.0"}))
    return path


def web_config(api: str, path: Path, kind: str = "web") -> str:
    return (f"[update_manager]\nenable_system_updates: False\ngithub_api_url: {api}\n\n"
            f"[update_manager mainsail]\ntype: {kind}\nrepo: mainsail-crew/mainsail\npath: {path}\n"
            f"persistent_files:\n  config.json\ninfo_tags:\n  desc=Mainsail Web Client\n\n" + BASE_CONFIG)


class WebTests(TestCase):
    timeout = 60

    async def start(self, kind: str = "web") -> tuple[Any, Any, Path]:
        github = start_fake_github(self)
        path = install_v1(short_temp_dir(self))
        daemon = await start_daemon(self, web_config(github.base, path, kind))
        return daemon, github, path

    async def test_status_at_start_up_asks_github_nothing(self) -> None:
        daemon, github, _ = await self.start()
        status = (await get(daemon, "/machine/update/status"))["result"]
        self.assertEqual(github.requests, [])
        self.assertEqual(status["version_info"]["mainsail"]["version"], "v1.0.0")
        self.assertEqual(status["version_info"]["mainsail"]["info_tags"], ["desc=Mainsail Web Client"])
        self.assertIsNone(status["github_rate_limit"])

    async def test_refresh_reads_the_latest_release_and_the_rate_limit(self) -> None:
        daemon, github, _ = await self.start()
        github.publish("v2.0.0", release_zip("v2.0.0"))
        github.publish("v2.1.0-beta", release_zip("v2.1.0-beta"), prerelease=True)
        code, body = await post(daemon, "/machine/update/refresh")
        status = body["result"]
        info = status["version_info"]["mainsail"]
        self.assertEqual((info["name"], info["owner"], info["repo_name"]), ("mainsail", "mainsail-crew", "mainsail"))
        self.assertEqual((info["version"], info["remote_version"]), ("v1.0.0", "v2.0.0"))
        self.assertEqual((info["configured_type"], info["channel"]), ("web", "stable"))
        self.assertEqual((status["github_rate_limit"], status["github_requests_remaining"],
                          status["github_limit_reset_time"]), (60, 59, RESET_TIME))

    async def test_beta_channel_takes_pre_releases(self) -> None:
        daemon, github, _ = await self.start(kind="web_beta")
        github.publish("v2.0.0", release_zip("v2.0.0"))
        github.publish("v2.1.0-beta", release_zip("v2.1.0-beta"), prerelease=True)
        _, body = await post(daemon, "/machine/update/refresh?name=mainsail")
        info = body["result"]["version_info"]["mainsail"]
        self.assertEqual((info["remote_version"], info["channel"], info["configured_type"]),
                         ("v2.1.0-beta", "beta", "web_beta"))

    async def test_update_swaps_the_folder_keeps_persistent_files_and_rolls_back(self) -> None:
        daemon, github, path = await self.start()
        github.publish("v2.0.0", release_zip("v2.0.0", {"assets/app.js": "js"}))
        client = await connect_websocket(self, daemon.ws_url)
        reply = await client.call("machine.update.client", {"name": "mainsail"})
        self.assertEqual(reply["result"], "ok")
        self.assertTrue(path.is_symlink())
        self.assertEqual((path / "index.html").read_text(), "<html>v2.0.0</html>")
        self.assertEqual((path / "assets" / "app.js").read_text(), "js")
        self.assertEqual((path / "config.json").read_text(), '{"instances": ["mine"]}')
        messages = [m["params"][0]["message"] for m in client.notifications if m["method"] == "notify_update_response"]
        self.assertIn("Checksum verified (sha256)", messages)
        info = (await get(daemon, "/machine/update/status"))["result"]["version_info"]["mainsail"]
        self.assertEqual((info["version"], info["rollback_version"]), ("v2.0.0", "v1.0.0"))

        code, body = await post(daemon, "/machine/update/rollback?name=mainsail")
        self.assertEqual((code, body["result"]), (200, "ok"))
        self.assertEqual((path / "index.html").read_text(), "<html>v1</html>")
        info = (await get(daemon, "/machine/update/status"))["result"]["version_info"]["mainsail"]
        self.assertEqual((info["version"], info["rollback_version"]), ("v1.0.0", "v2.0.0"))

    async def test_a_checksum_mismatch_keeps_the_installed_version(self) -> None:
        daemon, github, path = await self.start()
        github.publish("v2.0.0", release_zip("v2.0.0"), digest="sha256:" + "0" * 64)
        code, body = await post(daemon, "/machine/update/client?name=mainsail")
        self.assertEqual(code, 500)
        self.assertIn("Checksum mismatch for mainsail.zip", body["error"]["message"])
        self.assertEqual((path / "index.html").read_text(), "<html>v1</html>")
        self.assertFalse(path.is_symlink())
        self.assertEqual(sorted(p.name for p in path.parent.iterdir() if "download" in p.name), [])

    async def test_a_zip_application_restarts_its_services_after_update_and_rollback(self) -> None:
        programs = host_programs(self)
        github = start_fake_github(self)
        path = install_v1(short_temp_dir(self))
        config = web_config(github.base, path, "zip").replace("info_tags:", "managed_services: mainsail\ninfo_tags:")
        daemon = await start_daemon(self, config)
        github.publish("v2.0.0", release_zip("v2.0.0"))
        code, body = await post(daemon, "/machine/update/client?name=mainsail")
        self.assertEqual((code, body.get("result")), (200, "ok"), body)
        self.assertEqual((path / "index.html").read_text(), "<html>v2.0.0</html>")
        self.assertEqual(calls(programs).count("systemctl restart mainsail"), 1)
        info = (await get(daemon, "/machine/update/status"))["result"]["version_info"]["mainsail"]
        self.assertEqual((info["configured_type"], info["version"]), ("zip", "v2.0.0"))
        code, _ = await post(daemon, "/machine/update/rollback?name=mainsail")
        self.assertEqual(code, 200)
        self.assertEqual((path / "index.html").read_text(), "<html>v1</html>")
        self.assertEqual(calls(programs).count("systemctl restart mainsail"), 2)
