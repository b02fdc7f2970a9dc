"""moontwist's own ``moonraker`` entry: found from how it was installed, updated with git
when it comes from a clone, else from its package index."""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path
from typing import Any

from twisted.internet import reactor
from twisted.trial.unittest import SynchronousTestCase, TestCase

from moontwist.services.update_manager import factory
from moontwist.services.update_manager.services import restart_services
from moontwist.services.update_manager.self_source import PREFIX, SelfSource, find_source
from moontwist.systemd import unit_of
from tests.integration.clients import connect_websocket
from tests.integration.daemon import BASE_CONFIG, short_temp_dir, start_daemon
from tests.services.machine.helpers import calls, temp_dir
from tests.services.update_manager.fake_pypi import start_fake_index
from tests.services.update_manager.fixtures import Origin, commit, git, host_programs
from tests.services.update_manager.test_git_repo import get, post

CONFIG = "[update_manager]\nenable_system_updates: False\n\n" + BASE_CONFIG


def dist_info(site: Path, direct_url: dict[str, Any] | None) -> metadata.Distribution:
    """An installed ``moontwist`` distribution as pip leaves it (PEP 610's direct_url.json)."""
    folder = site / "moontwist-0.1.0.dist-info"
    folder.mkdir(parents=True)
    (folder / "METADATA").write_text("Metadata-Version: 2.1\nName: moontwist\nVersion: 0.1.0\n")
    if direct_url is not None:
        (folder / "direct_url.json").write_text(json.dumps(direct_url))
    return metadata.PathDistribution(folder)


class FindSourceTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.root = temp_dir(self)
        self.clone = self.root / "moontwist"
        (self.clone / ".git").mkdir(parents=True)
        self.site = self.root / "site-packages"

    def test_not_installed(self) -> None:
        # scripts/bootstrap's virtualenv holds moontwist's dependencies, not moontwist: the
        # tests run from the source tree.
        self.assertIsNone(find_source())

    def test_installed_editable_from_a_clone(self) -> None:
        distribution = dist_info(self.site, {"url": self.clone.as_uri(), "dir_info": {"editable": True}})
        self.assertEqual(find_source(distribution), SelfSource(self.clone, True, PREFIX))

    def test_installed_as_a_copy_from_a_clone(self) -> None:
        distribution = dist_info(self.site, {"url": self.clone.as_uri(), "dir_info": {}})
        self.assertEqual(find_source(distribution), SelfSource(self.clone, False, PREFIX))

    def test_installed_from_an_index_a_wheel_url_or_a_folder_without_git(self) -> None:
        plain = self.root / "unpacked-sdist"
        plain.mkdir()
        records = (None, {"url": "https://example.invalid/moontwist-0.1.0-py3-none-any.whl", "archive_info": {}},
                   {"url": plain.as_uri(), "dir_info": {}})
        for number, record in enumerate(records):
            self.assertEqual(find_source(dist_info(self.root / f"site-{number}", record)),
                             SelfSource(None, False, PREFIX))

    def test_a_damaged_record_is_ignored(self) -> None:
        distribution = dist_info(self.site, None)
        (self.site / "moontwist-0.1.0.dist-info" / "direct_url.json").write_text("{not json")
        self.assertEqual(find_source(distribution), SelfSource(None, False, PREFIX))


def fake_venv(test: TestCase, programs: Path) -> Path:
    """A virtualenv whose pip logs its arguments with the other fake programs."""
    venv = short_temp_dir(test) / "moontwist-env"
    (venv / "bin").mkdir(parents=True)
    pip = venv / "bin" / "pip"
    pip.write_text(f'#!/bin/sh\necho "pip $*" >> "{programs}/calls.log"\n')
    pip.chmod(0o755)
    return venv


def expected_restart() -> str:
    """What restarting ``moonraker`` does in the process running the tests."""
    unit = unit_of(Path("/proc/self/cgroup").read_text())
    return ("moontwist does not run as a systemd service: restart it to run the new version" if unit is None
            else f"Restarting service {unit}...")


class SelfRepoTests(TestCase):
    timeout = 60

    async def start(self, editable: bool = False) -> tuple[Any, Origin, Path, Path]:
        programs = host_programs(self)
        origin = Origin(short_temp_dir(self))
        venv = fake_venv(self, programs)
        source = SelfSource(origin.install, editable, venv)
        self.patch(factory, "find_source", lambda: source)
        daemon = await start_daemon(self, CONFIG)
        return daemon, origin, programs, venv

    async def test_the_entry_is_the_clone_with_its_own_remote_and_branch(self) -> None:
        daemon, origin, _, _ = await self.start()
        info = (await get(daemon, "/machine/update/status"))["result"]["version_info"]["moonraker"]
        self.assertEqual((info["configured_type"], info["channel"], info["branch"], info["remote_url"]),
                         ("git_repo", "dev", "master", str(origin.bare)))
        self.assertEqual((info["is_valid"], info["anomalies"], info["warnings"]), (True, [], []))
        self.assertEqual(info["current_hash"], origin.second)

    async def test_a_detached_clone_follows_its_remote_default_branch(self) -> None:
        programs = host_programs(self)
        origin = Origin(short_temp_dir(self))
        git(origin.install, "checkout", "-q", "--detach", origin.first)
        source = SelfSource(origin.install, True, fake_venv(self, programs))
        self.patch(factory, "find_source", lambda: source)
        daemon = await start_daemon(self, "[update_manager]\nenable_system_updates: False\n"
                                          "[update_manager moonraker]\nchannel: stable\n\n" + BASE_CONFIG)
        origin.advance()
        code, _ = await post(daemon, "/machine/update/refresh?name=moonraker")
        self.assertEqual(code, 200)
        info = (await get(daemon, "/machine/update/status"))["result"]["version_info"]["moonraker"]
        self.assertEqual((info["branch"], info["channel"], info["remote_version"], info["is_valid"]),
                         ("master", "stable", "v0.2.0", True))

    async def test_update_installs_the_clone_editable_once_then_only_when_packaging_changes(self) -> None:
        daemon, origin, programs, venv = await self.start()
        _, fourth = origin.advance()
        code, body = await post(daemon, "/machine/update/moonraker")
        self.assertEqual((code, body.get("result")), (200, "ok"), body)
        self.assertEqual(origin.head(), fourth)
        reinstall = (f"pip install --disable-pip-version-check -e {origin.install} "
                     "--config-settings editable_mode=compat")
        self.assertEqual([line for line in calls(programs) if line.startswith("pip")], [reinstall])

        commit(origin.upstream, "module.py", "x = 1\n")
        origin.push()
        code, _ = await post(daemon, "/machine/update/moonraker")
        self.assertEqual(code, 200)
        self.assertEqual(len([line for line in calls(programs) if line.startswith("pip")]), 1)

        changed = commit(origin.upstream, "setup.cfg", "[metadata]\nname = moontwist\n")
        origin.push()
        code, _ = await post(daemon, "/machine/update/moonraker")
        self.assertEqual(code, 200)
        self.assertEqual(origin.head(), changed)
        self.assertEqual([line for line in calls(programs) if line.startswith("pip")], [reinstall, reinstall])

        code, _ = await post(daemon, "/machine/update/rollback?name=moonraker")
        self.assertEqual(code, 200)
        self.assertEqual(len([line for line in calls(programs) if line.startswith("pip")]), 3)

    async def test_an_update_restarts_the_unit_moontwist_runs_in(self) -> None:
        daemon, origin, _, _ = await self.start(editable=True)
        origin.advance()
        client = await connect_websocket(self, daemon.ws_url)
        code, _ = await post(daemon, "/machine/update/moonraker")
        self.assertEqual(code, 200)
        messages = [m["params"][0]["message"] for m in client.notifications
                    if m["method"] == "notify_update_response"]
        self.assertIn(expected_restart(), messages)
        self.assertNotIn("Restarting service moonraker...", messages)

    async def test_not_installed_there_is_no_entry(self) -> None:
        self.patch(factory, "find_source", lambda: None)
        daemon = await start_daemon(self, CONFIG)
        status = (await get(daemon, "/machine/update/status"))["result"]
        self.assertNotIn("moonraker", status["version_info"])

    async def test_a_clone_without_a_remote_says_how_to_add_one(self) -> None:
        programs = host_programs(self)
        origin = Origin(short_temp_dir(self))
        git(origin.install, "remote", "remove", "origin")
        source = SelfSource(origin.install, True, fake_venv(self, programs))
        self.patch(factory, "find_source", lambda: source)
        daemon = await start_daemon(self, CONFIG)
        info = (await get(daemon, "/machine/update/status"))["result"]["version_info"]["moonraker"]
        self.assertFalse(info["is_valid"])
        self.assertIn(f"moontwist's clone at {origin.install} has no remote 'origin'", info["warnings"][0])
        code, body = await post(daemon, "/machine/update/moonraker")
        self.assertEqual(code, 503)
        self.assertIn("no remote 'origin'", body["error"]["message"])


class IndexedSelfTests(TestCase):
    timeout = 60

    async def test_installed_from_an_index_that_does_not_have_it(self) -> None:
        index = start_fake_index(self)
        source = SelfSource(None, False, PREFIX)
        self.patch(factory, "find_source", lambda: source)
        daemon = await start_daemon(self, f"[update_manager]\nenable_system_updates: False\n"
                                          f"[update_manager moonraker]\nchannel: beta\nindex_url: {index.base}\n\n"
                                          + BASE_CONFIG)
        info = (await get(daemon, "/machine/update/status"))["result"]["version_info"]["moonraker"]
        self.assertEqual((info["configured_type"], info["repo_name"], info["channel"]), ("python", "moontwist", "beta"))
        await post(daemon, "/machine/update/refresh?name=moonraker")
        info = (await get(daemon, "/machine/update/status"))["result"]["version_info"]["moonraker"]
        self.assertEqual(info["warnings"], [f"moontwist is not published on {index.base}: nothing to update it from"])
        self.assertNotIn("moonraker", " ".join(daemon.ctx.warnings))


class RestartTests(TestCase):
    timeout = 30

    async def test_moonraker_means_the_unit_moontwist_runs_in_restarted_last(self) -> None:
        programs = host_programs(self)
        cgroup = temp_dir(self) / "cgroup"
        cgroup.write_text("1:name=systemd:/system.slice/moontwist.service\n0::/system.slice/moontwist.service\n")
        said: list[str] = []
        await restart_services(reactor, ["moonraker", "klipper"], said.append, cgroup)
        self.assertEqual([line for line in calls(programs) if line.startswith("systemctl")],
                         ["systemctl restart klipper", "systemctl restart moontwist"])
        self.assertEqual(said, ["Restarting service klipper...", "Restarting service moontwist..."])
