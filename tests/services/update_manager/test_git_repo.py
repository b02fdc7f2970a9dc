"""``git_repo`` updates through the real daemon, against local bare repositories as origins."""

from __future__ import annotations

import json
import shutil
from typing import Any

from twisted.internet.defer import Deferred, gatherResults
from twisted.trial.unittest import TestCase

from moontwist.simulator import printer as simulator_printer
from tests.integration.clients import connect_websocket, http_client
from tests.integration.daemon import BASE_CONFIG, start_daemon
from tests.integration.process import wait_for
from tests.services.machine.helpers import calls
from tests.services.update_manager.fixtures import (
    commit, git, host_programs, origin_in, unpack_all, update_config)


def post(daemon: Any, path: str) -> "Deferred[tuple[int, Any]]":
    return Deferred.fromCoroutine(_post(daemon, path))


async def _post(daemon: Any, path: str) -> tuple[int, Any]:
    response = await http_client(None).post(f"{daemon.http_url}{path}")
    return response.code, json.loads(await response.content())


async def get(daemon: Any, path: str) -> Any:
    response = await http_client(None).get(f"{daemon.http_url}{path}")
    return json.loads(await response.content())


class GitRepoTests(TestCase):
    timeout = 60

    async def start(self, channel: str = "dev") -> tuple[Any, Any, Any]:
        programs = host_programs(self)
        origin = origin_in(self)
        daemon = await start_daemon(self, update_config(origin, channel))
        return daemon, origin, programs

    async def test_start_up_reads_the_local_repo_without_fetching(self) -> None:
        daemon, origin, programs = await self.start()
        origin.advance()
        status = (await get(daemon, "/machine/update/status"))["result"]
        info = status["version_info"]["klipper"]
        self.assertEqual(info["configured_type"], "git_repo")
        self.assertEqual(info["current_hash"], origin.second)
        self.assertEqual(info["version"], "v0.1.0-1")
        # what the clone's last fetch saw, not the origin's new commits nor an unknown "?"
        # (which Fluidd takes for an update)
        self.assertEqual((info["remote_hash"], info["remote_version"]), (origin.second, "v0.1.0-1"))
        self.assertEqual(info["commits_behind"], [])
        self.assertTrue(info["is_valid"])
        self.assertFalse(info["corrupt"])
        self.assertEqual((info["owner"], info["repo_name"], info["branch"]), (origin.bare.parent.name, "origin", "master"))
        self.assertFalse(status["busy"])
        self.assertEqual(set(status) - {"version_info"},
                         {"busy", "github_rate_limit", "github_requests_remaining", "github_limit_reset_time"})
        self.assertFalse([line for line in calls(programs) if line.startswith("git fetch")])

    async def test_refresh_reports_commits_behind_with_tags_and_notifies(self) -> None:
        daemon, origin, _ = await self.start()
        third, fourth = origin.advance()
        client = await connect_websocket(self, daemon.ws_url)
        refreshed = client.next_notification("notify_update_refreshed")
        reply = await client.call("machine.update.refresh", {"name": "klipper"})
        info = reply["result"]["version_info"]["klipper"]
        self.assertEqual(info["remote_hash"], fourth)
        self.assertEqual(info["remote_version"], "v0.3.0-beta")
        self.assertEqual([(c["sha"], c["tag"]) for c in info["commits_behind"]],
                         [(fourth, "v0.3.0-beta"), (third, "v0.2.0")])
        self.assertEqual(info["commits_behind"][1]["subject"], "Add klippy.py")
        self.assertEqual(info["commits_behind"][1]["message"], "Body of klippy.py")
        self.assertEqual(info["commits_behind_count"], 2)
        notification = await refreshed
        self.assertEqual(notification["params"][0]["version_info"]["klipper"]["remote_hash"], fourth)

    async def test_unknown_name_and_status_refresh_spacing(self) -> None:
        daemon, origin, programs = await self.start()
        code, body = await post(daemon, "/machine/update/refresh?name=nope")
        self.assertEqual((code, body["error"]["message"]), (400, "No updater registered for 'nope'"))
        code, body = await post(daemon, "/machine/update/client?name=nope")
        self.assertEqual((code, body["error"]["message"]), (404, "Updater nope not available"))
        await get(daemon, "/machine/update/status?refresh=true")
        await get(daemon, "/machine/update/status?refresh=true")
        # The second refresh inside 60 s is skipped, as in Moonraker.
        self.assertEqual(len([line for line in calls(programs) if line.startswith("git fetch")]), 1)

    async def test_update_streams_progress_restarts_services_and_rolls_back(self) -> None:
        daemon, origin, programs = await self.start()
        _, fourth = origin.advance()
        client = await connect_websocket(self, daemon.ws_url)
        reply = await client.call("machine.update.klipper")
        self.assertEqual(reply["result"], "ok")
        self.assertEqual(origin.head(), fourth)
        responses = [m["params"][0] for m in client.notifications if m["method"] == "notify_update_response"]
        self.assertTrue(all(r["application"] == "klipper" for r in responses))
        self.assertEqual(len({r["proc_id"] for r in responses}), 1)
        self.assertEqual([r["complete"] for r in responses], [False] * (len(responses) - 1) + [True])
        self.assertIn("Restarting service klipper...", [r["message"] for r in responses])
        self.assertIn("systemctl restart klipper", calls(programs))
        info = (await get(daemon, "/machine/update/status"))["result"]["version_info"]["klipper"]
        self.assertEqual((info["version"], info["rollback_version"]), ("v0.3.0-beta", "v0.1.0-1"))
        self.assertEqual(info["commits_behind"], [])

        code, body = await post(daemon, "/machine/update/rollback?name=klipper")
        self.assertEqual((code, body["result"]), (200, "ok"))
        self.assertEqual(origin.head(), origin.second)
        info = (await get(daemon, "/machine/update/status"))["result"]["version_info"]["klipper"]
        self.assertEqual(info["rollback_version"], "v0.3.0-beta")

    async def test_stable_channel_follows_the_newest_release_tag(self) -> None:
        daemon, origin, _ = await self.start(channel="stable")
        third, _ = origin.advance()
        code, body = await post(daemon, "/machine/update/klipper")
        self.assertEqual((code, body["result"]), (200, "ok"))
        self.assertEqual(origin.head(), third)
        info = (await get(daemon, "/machine/update/status"))["result"]["version_info"]["klipper"]
        self.assertEqual((info["version"], info["detached"], info["anomalies"]), ("v0.2.0", True, []))

    async def test_a_forced_push_is_followed_by_a_reset(self) -> None:
        daemon, origin, _ = await self.start()
        git(origin.upstream, "reset", "-q", "--hard", origin.first)
        rewritten = commit(origin.upstream, "other.py", "rewritten\n")
        origin.push(force=True)
        client = await connect_websocket(self, daemon.ws_url)
        reply = await client.call("machine.update.upgrade", {"name": "klipper"})
        self.assertEqual(reply["result"], "ok")
        self.assertEqual(origin.head(), rewritten)
        messages = [m["params"][0]["message"] for m in client.notifications if m["method"] == "notify_update_response"]
        self.assertIn("Repo has diverged (forced push), resetting to the remote", messages)

    async def test_updates_are_refused_while_printing_and_while_another_runs(self) -> None:
        daemon, origin, programs = await self.start()
        origin.advance()
        job_state = daemon.ctx.component("job_state")
        job_state.tracking, job_state.stats = True, {"state": "printing"}
        code, body = await post(daemon, "/machine/update/klipper")
        self.assertEqual((code, body["error"]["message"]), (503, "Update Refused: Klippy is printing"))
        job_state.tracking = False
        (programs / "slow_fetch").write_text("")
        both = await gatherResults([post(daemon, "/machine/update/klipper") for _ in range(2)])
        self.assertEqual(sorted(code for code, _ in both), [200, 503])
        refused = next(body for code, body in both if code == 503)
        self.assertEqual(refused["error"]["message"], "Update refused: klipper is currently updating")

    async def test_a_dirty_tree_is_refused_and_soft_recovery_cleans_it(self) -> None:
        daemon, origin, _ = await self.start()
        (origin.install / "klippy.py").write_text("local change\n")
        (origin.install / "stray.txt").write_text("x")
        await post(daemon, "/machine/update/refresh")
        info = (await get(daemon, "/machine/update/status"))["result"]["version_info"]["klipper"]
        self.assertTrue(info["is_dirty"])
        self.assertIn("Repo has untracked source files: stray.txt", info["anomalies"])
        code, body = await post(daemon, "/machine/update/klipper")
        self.assertEqual(code, 503)
        self.assertIn("has local modifications", body["error"]["message"])
        code, _ = await post(daemon, "/machine/update/recover?name=klipper")
        self.assertEqual(code, 200)
        self.assertEqual((origin.install / "klippy.py").read_text(), "print(1)\n")
        self.assertFalse((origin.install / "stray.txt").exists())

    async def test_corrupt_index_is_reported_and_repaired_without_the_origin(self) -> None:
        programs = host_programs(self)
        origin = origin_in(self)
        with open(origin.install / ".git" / "index", "r+b") as index:
            index.truncate(10)
        daemon = await start_daemon(self, update_config(origin))
        info = (await get(daemon, "/machine/update/status"))["result"]["version_info"]["klipper"]
        self.assertTrue(info["corrupt"])
        self.assertFalse(info["is_valid"])
        self.assertIn("machine.update.recover (name=klipper, hard=false)", info["warnings"][0])
        self.assertIn("index file smaller than expected", " ".join(info["git_messages"]))
        code, _ = await post(daemon, "/machine/update/klipper")
        self.assertEqual(code, 503)
        shutil.rmtree(origin.bare)
        code, body = await post(daemon, "/machine/update/recover?name=klipper&hard=false")
        self.assertEqual((code, body.get("result")), (200, "ok"))
        info = (await get(daemon, "/machine/update/status"))["result"]["version_info"]["klipper"]
        self.assertEqual((info["corrupt"], info["is_valid"], info["current_hash"]), (False, True, origin.second))
        self.assertFalse([line for line in calls(programs) if line.startswith("git fetch")])

    async def test_truncated_objects_are_recovered_by_a_hard_recovery(self) -> None:
        host_programs(self)
        origin = origin_in(self)
        head = origin.second
        loose = origin.install / ".git" / "objects" / head[:2] / head[2:]
        unpack_all(origin.install)
        loose.chmod(0o644)
        with open(loose, "r+b") as handle:
            handle.truncate(5)
        with open(origin.install / ".git" / "index", "r+b") as index:
            index.truncate(10)
        daemon = await start_daemon(self, update_config(origin))
        info = (await get(daemon, "/machine/update/status"))["result"]["version_info"]["klipper"]
        self.assertTrue(info["corrupt"])
        self.assertIn("hard=true", info["warnings"][0])
        client = await connect_websocket(self, daemon.ws_url)
        reply = await client.call("machine.update.recover", {"name": "klipper", "hard": True})
        self.assertEqual(reply.get("result"), "ok", reply)
        self.assertEqual(origin.head(), head)
        self.assertEqual(git(origin.install, "fsck", "--no-dangling"), "")
        last = [m["params"][0] for m in client.notifications if m["method"] == "notify_update_response"][-1]
        self.assertEqual((last["application"], last["complete"]), ("recover_klipper", True))

    async def test_soft_recovery_removes_the_lock_of_an_interrupted_git_command(self) -> None:
        daemon, origin, _ = await self.start()
        (origin.install / ".git" / "index.lock").write_text("")
        (origin.install / "klippy.py").write_text("half written\n")
        code, body = await post(daemon, "/machine/update/recover?name=klipper&hard=false")
        self.assertEqual((code, body.get("result")), (200, "ok"), body)
        self.assertFalse((origin.install / ".git" / "index.lock").exists())
        self.assertEqual((origin.install / "klippy.py").read_text(), "print(1)\n")

    async def test_an_update_from_an_unofficial_remote_is_refused(self) -> None:
        host_programs(self)
        origin = origin_in(self)
        git(origin.install, "remote", "set-url", "origin", "https://example.invalid/fork/klipper.git")
        daemon = await start_daemon(self, update_config(origin))
        code, body = await post(daemon, "/machine/update/klipper")
        self.assertEqual((code, body["error"]["message"]),
                         (503, "Repo klipper is not valid: Unofficial remote url: "
                               "https://example.invalid/fork/klipper.git"))


class KlipperEntryTests(TestCase):
    timeout = 30

    async def test_the_klipper_entry_follows_the_repo_klippy_runs_from(self) -> None:
        host_programs(self)
        origin = origin_in(self)
        # The simulator (in this process) reports Klipper installed where the origin's clone is.
        self.patch(simulator_printer, "KLIPPER_PATH", str(origin.install))
        daemon = await start_daemon(self, "[update_manager]\nenable_system_updates: False\n"
                                          "[update_manager klipper]\nchannel: beta\n\n" + BASE_CONFIG,
                                    simulate=True)
        updaters = daemon.ctx.component("update_manager").updaters
        # Klippy's readiness (and so the entry) may come before or after a client connects.
        await wait_for(lambda: "klipper" in updaters and updaters["klipper"].local.valid)
        info = (await get(daemon, "/machine/update/status"))["result"]["version_info"]["klipper"]
        self.assertEqual((info["configured_type"], info["current_hash"]), ("git_repo", origin.second))
        self.assertEqual(info["channel"], "beta")
        self.assertEqual((info["owner"], info["repo_name"], info["recovery_url"]),
                         ("Klipper3d", "klipper", "https://github.com/Klipper3d/klipper.git"))
        self.assertIn(f"Unofficial remote url: {origin.bare}", info["anomalies"])
