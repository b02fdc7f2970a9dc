"""Every method each real client calls, as it calls it, against a running daemon.

Generated from data/client_methods.md (the client x method table of clients.md) and
client_calls.py (params, transports, Moonraker 0.11's result shapes). One test per
client: a `twistd moontwist --simulate` process of its own, the client's transports
(websocket with its identify and headers, HTTP, the Unix socket), its rows in a
order that gives each call what it needs. A failing row is reported with method,
transport, params and our answer; all rows run before the test fails.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from twisted.internet import reactor
from twisted.internet.error import ConnectError
from twisted.internet.task import deferLater
from twisted.trial.unittest import TestCase

from tests.integration import client_calls as table
from tests.integration.clients import connect_unix, connect_websocket, http_client
from tests.integration.daemon import short_temp_dir
from tests.integration.files_client import form, post_form
from tests.integration.process import spawn_daemon

# The host's service manager and power commands, as stand-ins that record what they
# were asked: the daemon runs them from PATH, and a test must not stop the host.
SYSTEMCTL = """#!/bin/sh
echo "$@" >> "$(dirname "$0")/calls.log"
case "$1" in
  list-units) echo "klipper.service loaded active running Klipper";
              echo "moonraker.service loaded active running Moonraker" ;;
  show) echo "Id=klipper.service"; echo "ActiveState=active"; echo "SubState=running";
        echo; echo "Id=moonraker.service"; echo "ActiveState=active"; echo "SubState=running" ;;
esac
"""
SUDO = """#!/bin/sh
while [ "${1#-}" != "$1" ]; do [ "$1" = -p ] && shift; shift; done
echo "sudo $@" >> "$(dirname "$0")/calls.log"
[ "$1" = systemctl ] && shift && exec "$(dirname "$0")/systemctl" "$@"
exit 0
"""

# A print long enough to pause, resume and cancel (the simulator moves in real time).
LONG_PRINT = "G28\n" + "".join(f"G1 X{10 + i % 2 * 150} Y{10 + i} F600\n" for i in range(200))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def sleep(seconds: float) -> None:
    await deferLater(reactor, seconds, lambda: None)


class Session:
    """One client's connections to one daemon, and what its calls learnt so far."""

    def __init__(self, test: TestCase, client: str, base: Path, port: int) -> None:
        self.test = test
        self.client = client
        self.base = base
        self.port = port
        self.http = f"http://127.0.0.1:{port}"
        self.state: dict[str, Any] = {}
        self.ws: Any = None
        self.helper: Any = None
        self.headers: dict[str, str] = {}
        self.failures: list[str] = []

    # --- connections ---

    async def connect(self) -> None:
        url = f"ws://127.0.0.1:{self.port}/websocket"
        if self.client == "KlipperScreen":
            url += "?token="
            self.headers = {"X-Api-Key": ""}
        elif self.client in ("Mobileraker (public)", "Obico"):
            self.headers = {"X-Api-Key": self.state["api_key"]}
        self.ws = await connect_websocket(self.test, url, headers=self.headers)
        self.helper = await connect_websocket(self.test, f"ws://127.0.0.1:{self.port}/websocket")
        identify = table.IDENTIFY[self.client]
        if identify is not None:
            params = dict(identify)
            if self.client == "Mobileraker (public)":
                params["api_key"] = self.state["api_key"]
            self.state["identify"] = params

    async def wait_daemon(self, state: str = "ready") -> None:
        """Until the daemon answers and reports Klippy in ``state``."""
        seen = None
        for _ in range(400):
            try:
                response = await http_client(self.test).get(self.http + "/server/info")
                seen = json.loads(await response.text())["result"]["klippy_state"]
                if seen == state:
                    return
            except (ConnectError, ConnectionError, ValueError, KeyError) as exc:
                seen = exc
            await sleep(0.05)
        raise TimeoutError(f"the daemon did not come back with Klippy {state} (last: {seen})")

    # --- calls ---

    async def http_call(self, method: str, params: dict[str, Any] | None) -> tuple[int, Any]:
        verb, path = table.HTTP_ROUTES[method]
        headers = dict(self.headers)
        if self.client == "Fluidd 1.37" and self.state.get("token"):
            headers["Authorization"] = f"Bearer {self.state['token']}"
        url = self.http + path
        body = None
        if method == "printer.objects.query":
            # Moonraker's query string: one key per object, its fields comma-separated
            url += "?" + "&".join(name if fields is None else f"{name}={','.join(fields)}"
                                  for name, fields in (params or {})["objects"].items())
        elif verb in ("GET", "DELETE"):
            if params:
                url += "?" + urlencode({k: json.dumps(v) if isinstance(v, (dict, list)) else
                                        str(v).lower() if isinstance(v, bool) else v for k, v in params.items()})
        else:
            body = json.dumps(params or {}).encode()
            headers["Content-Type"] = "application/json"
        response = await http_client(self.test).request(
            verb, url, data=body, headers={k: [v] for k, v in headers.items()})
        text = await response.text()
        try:
            answer = json.loads(text) if text else None
        except ValueError:
            answer = text
        return response.code, answer

    async def helper_call(self, method: str, params: dict[str, Any] | None = None) -> Any:
        reply = await self.helper.call(method, params)
        if "error" in reply:
            raise AssertionError(f"setup call {method} {params} failed: {reply['error']}")
        return reply["result"]

    async def upload(self, path: str, data: bytes) -> None:
        folder, _, name = path.rpartition("/")
        code, answer, _ = await post_form(self.test, self.http + "/server/files/upload",
                                          form({"root": "gcodes", "path": folder}, name, data))
        if code != 201:
            raise AssertionError(f"setup upload of {path} failed: {code} {answer}")

    async def http_login(self, password: str) -> None:
        """Log the test user in over HTTP, as Fluidd does (the helper socket stays trusted)."""
        response = await http_client(self.test).post(
            self.http + "/access/login", json={"username": "tabletest", "password": password})
        login = json.loads(await response.text())
        if response.code != 200:
            raise AssertionError(f"setup login failed: {login}")
        self.state.update(token=login["result"]["token"], refresh_token=login["result"]["refresh_token"])

    # --- what a call needs first (done on a helper connection, not counted) ---

    async def print_state(self) -> str:
        status = await self.helper_call("printer.objects.query", {"objects": {"print_stats": ["state"]}})
        return str(status["status"]["print_stats"]["state"])

    async def wait_print_state(self, *states: str) -> None:
        for _ in range(200):
            if await self.print_state() in states:
                return
            await sleep(0.05)
        raise AssertionError(f"print_stats.state never became {states}")

    async def prepare(self, method: str) -> None:
        call = table.CALLS[method]
        if call.needs == "idle" and await self.print_state() in ("printing", "paused"):
            await self.helper_call("printer.print.cancel")
            await self.wait_print_state("cancelled", "complete", "standby")
        if call.needs in ("printing", "paused") and await self.print_state() not in ("printing", "paused"):
            await self.helper_call("printer.print.start", {"filename": "tabletest.gcode"})
            await self.wait_print_state("printing")
        if call.needs == "printing" and await self.print_state() == "paused":
            await self.helper_call("printer.print.resume")
            await self.wait_print_state("printing")
        if call.needs == "paused" and await self.print_state() == "printing":
            await self.helper_call("printer.print.pause")
            await self.wait_print_state("paused")
        if method in ("server.files.copy", "server.files.zip", "server.files.delete_directory"):
            await self.upload("tabletest/keep.gcode", b"G28\n")
        if method == "server.files.post_directory":
            await self.helper.call("server.files.delete_directory", {"path": "gcodes/tabletest", "force": True})
        if method == "server.files.move":
            await self.upload("tabletest/copy.gcode", b"G28\n")
        if method == "server.files.delete_file":
            await self.upload("tabletest/moved.gcode", b"G28\n")
        if method in ("server.database.get_item", "server.database.delete_item"):
            await self.helper_call("server.database.post_item", table.CALLS["server.database.post_item"].params)
        if method == "server.database.delete_backup":
            await self.helper_call("server.database.post_backup", {"filename": "tabletest.db"})
        if method == "server.database.restore":
            await self.helper_call("server.database.post_backup", {"filename": "tabletest-restore.db"})
        if method in ("server.webcams.get_item", "server.webcams.delete_item"):
            await self.helper_call("server.webcams.post_item", table.CALLS["server.webcams.post_item"].params)
        if method == "server.job_queue.delete_job" and "queued" not in self.state:
            queue = await self.helper_call("server.job_queue.post_job", {"filenames": ["tabletest.gcode"]})
            self.state["queued"] = queue["queued_jobs"][-1]["job_id"]
        if method in ("server.history.get_job", "server.history.delete_job"):
            jobs = (await self.helper_call("server.history.list", {"limit": 1}))["jobs"]
            if not jobs:
                await self.prepare("printer.print.cancel")
                await self.helper_call("printer.print.cancel")
                await self.wait_print_state("cancelled")
                jobs = (await self.helper_call("server.history.list", {"limit": 1}))["jobs"]
            self.state["job_id"] = jobs[0]["job_id"]
            for _ in range(100):
                job = (await self.helper_call("server.history.get_job", {"uid": self.state["job_id"]}))["job"]
                if job["status"] != "in_progress":
                    break
                await sleep(0.05)
        if method in ("access.get_user", "access.logout", "access.user.password", "access.refresh_jwt") \
                and "token" not in self.state:
            await self.helper.call("access.post_user", {"username": "tabletest", "password": "table-pass-1"})
            await self.http_login("table-pass-1")
        if method == "access.logout" and self.state.pop("password_changed", False):
            # moontwist revokes a user's tokens when its password changes (Moonraker
            # keeps them): Fluidd logs in again before it can log out.
            await self.http_login("table-pass-2")
        if method == "server.temperature_store":
            for _ in range(100):
                if "extruder" in await self.helper_call("server.temperature_store"):
                    break
                await sleep(0.05)
        if method == "access.delete_user":
            await self.helper.call("access.post_user", {"username": "tabletest", "password": "table-pass-2"})

    # --- one row ---

    async def run_row(self, method: str) -> None:
        call = table.CALLS[method]
        transport = table.transport_of(self.client, method)
        where = f"{method} [{self.client}, {transport}]"
        try:
            await self.prepare(method)
            params = call.params_for(self.client, self.state)
            if method == "server.connection.identify":
                params = self.state["identify"]
            where += f" params={json.dumps(params)}"
            error, result = await self.send(transport, method, params)
        except Exception as exc:
            self.failures.append(f"{where}: {type(exc).__name__}: {exc}")
            return
        problems = self.judge(call.shape, transport, error, result)
        if problems:
            self.failures.append(f"{where}: {'; '.join(problems)}")
            return
        if call.keep is not None:
            call.keep(self.state, result)
        if method == "access.logout":
            self.state.pop("token", None)
        if method == "access.user.password":
            self.state["password_changed"] = True
        if method in table.RESTARTS_KLIPPY:
            await sleep(0.5)
            await self.wait_daemon("shutdown" if method == "printer.emergency_stop" else "ready")
        if method in table.RESTARTS_DAEMON:
            await sleep(0.5)
            await self.wait_daemon()
            await self.connect()

    async def send(self, transport: str, method: str, params: dict[str, Any] | None) -> tuple[Any, Any]:
        """(error, result): error is a JSON-RPC error object or an HTTP (status, body)."""
        if transport == table.HTTP:
            code, answer = await self.http_call(method, params)
            if code >= 400:
                return (code, answer), None
            return None, answer["result"] if isinstance(answer, dict) and "result" in answer else answer
        connection = self.ws
        if transport == table.UNIX:
            connection = await connect_unix(self.test, self.base / "comms" / "moonraker.sock")
        reply = await connection.call(method, params)
        return reply.get("error"), reply.get("result")

    def judge(self, shape: Any, transport: str, error: Any, result: Any) -> list[str]:
        if shape == table.NOT_SERVED:
            if transport == table.HTTP:
                return [] if error and error[0] == 404 else [f"expected 404 as Moonraker, got {error or result}"]
            return [] if error and error.get("code") == -32601 else \
                [f"expected -32601 as Moonraker without the component, got {error or result}"]
        if shape == table.COMPONENT_ERROR:
            # only ever sent over a websocket (see client_calls)
            if not error or "Method not found" in str(error.get("message")):
                return [f"expected the component's error, got {error or result}"]
            return []
        if error:
            return [f"error {error}"]
        return table.check_shape(result, shape)


class ClientCallsTests(TestCase):
    """One test per client column of the table; each fails listing its failing rows."""

    timeout = 240

    def test_the_table_holds_every_method_this_module_knows_and_no_other(self) -> None:
        rows = table.load_table()
        self.assertEqual(set(rows), set(table.CALLS))
        self.assertEqual(set().union(*rows.values()), set(table.CLIENTS))
        self.assertEqual(len(rows["printer.objects.list"]), 8)

    def test_the_shape_check_names_every_difference(self) -> None:
        spec = {"jobs": [{"job_id": str, "end_time": (float, int, type(None))}], "count": int, "ok": "ok"}
        self.assertEqual(table.check_shape({"jobs": [{"job_id": "1", "end_time": None}], "count": 1, "ok": "ok"},
                                           spec), [])
        self.assertEqual(table.check_shape({"jobs": [{"end_time": "x"}], "count": True, "ok": "no"}, spec), [
            "result.jobs[]: missing 'job_id'",
            "result.jobs[].end_time: expected (<class 'float'>, <class 'int'>, <class 'NoneType'>), got str",
            "result.count: expected int, got bool",
            "result.ok: expected 'ok', got 'no'"])
        self.assertEqual(table.check_shape([], {"a": int}), ["result: expected an object, got list []"])
        self.assertEqual(table.check_shape({"n": "1"}, {"n": table.NUMBER}), ["result.n: expected a number, got str"])

    async def start(self) -> tuple[Path, int]:
        base = short_temp_dir(self)
        shims = base / "bin"
        shims.mkdir()
        for name, text in (("systemctl", SYSTEMCTL), ("sudo", SUDO)):
            (shims / name).write_text(text)
            (shims / name).chmod(0o755)
        previous = os.environ["PATH"]
        os.environ["PATH"] = f"{shims}:{previous}"
        self.addCleanup(os.environ.__setitem__, "PATH", previous)
        port = free_port()
        (base / "config").mkdir()
        (base / "config" / "moonraker.conf").write_text(f"""\
[server]
host: 127.0.0.1
port: {port}
klippy_uds_address: {base}/comms/klippy.sock

[authorization]
trusted_clients:
    127.0.0.0/8
    ::1/128

[machine]
provider: systemd_cli

[spoolman]
server: http://127.0.0.1:{free_port()}
""")
        process = spawn_daemon(base, "--simulate", "--nologfile")
        self.addCleanup(process.kill)
        await process.listening
        return base, port

    async def run_client(self, client: str) -> None:
        rows = table.load_table()
        base, port = await self.start()
        session = Session(self, client, base, port)
        await session.wait_daemon()
        await session.upload("tabletest.gcode", LONG_PRINT.encode())
        unix = await connect_unix(self, base / "comms" / "moonraker.sock")
        session.state["api_key"] = (await unix.call("access.get_api_key"))["result"]
        await session.connect()
        for method in table.CALLS:
            if client in rows[method]:
                await session.run_row(method)
        if client in rows["machine.reboot"]:
            # the host's power went to the stand-ins, nowhere else
            self.assertIn("reboot", (base / "bin" / "calls.log").read_text())
        if session.failures:
            self.fail(f"{len(session.failures)} of {sum(client in r for r in rows.values())} rows of {client} "
                      "fail:\n  " + "\n  ".join(session.failures))

    async def test_mainsail(self) -> None:
        await self.run_client("Mainsail 2.18")

    async def test_fluidd(self) -> None:
        await self.run_client("Fluidd 1.37")

    async def test_klipperscreen(self) -> None:
        await self.run_client("KlipperScreen")

    async def test_mobileraker(self) -> None:
        await self.run_client("Mobileraker (public)")

    async def test_mobileraker_companion(self) -> None:
        await self.run_client("MR companion")

    async def test_octoeverywhere(self) -> None:
        await self.run_client("OctoEverywhere")

    async def test_obico(self) -> None:
        await self.run_client("Obico")

    async def test_home_assistant(self) -> None:
        await self.run_client("HA (moonraker-api)")
