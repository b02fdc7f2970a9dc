"""`twistd moontwist` as users run it: packaging, start-up, every transport, shutdown."""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path

from twisted.internet.utils import getProcessOutputAndValue
from twisted.trial.unittest import TestCase

from tests.integration.certs import write_self_signed
from tests.integration.clients import connect_unix, connect_websocket, http_client
from tests.integration.daemon import BASE_CONFIG, short_temp_dir
from tests.integration.process import TWISTD, spawn_daemon, wait_for
from tests.source_copy import source_copy


class PackagingTests(TestCase):
    timeout = 120

    async def test_pip_install_ships_the_twistd_plugin_and_the_moontwist_command(self) -> None:
        target = short_temp_dir(self)
        source = source_copy(Path(self.mktemp()).resolve())
        out, err, code = await getProcessOutputAndValue(
            sys.executable,
            ["-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--target", str(target), str(source)],
            path=str(target),
        )
        self.assertEqual(code, 0, err)
        self.assertTrue((target / "twisted" / "plugins" / "moontwist_plugin.py").exists())
        self.assertFalse((target / "twisted" / "__init__.py").exists())
        out, err, code = await getProcessOutputAndValue(
            str(TWISTD), ["--help"], env={"PYTHONPATH": str(target)}, path=str(target))
        self.assertEqual(code, 0, err)
        self.assertIn(b"moontwist", out)
        out, err, code = await getProcessOutputAndValue(
            str(target / "bin" / "moontwist"), ["--version"], env={"PYTHONPATH": str(target)}, path=str(target))
        self.assertEqual(code, 0, err)
        self.assertTrue(out.startswith(b"moontwist "), out)


class TwistdTests(TestCase):
    timeout = 60

    async def test_twistd_answers_on_http_websocket_unix_socket_and_https(self) -> None:
        data = short_temp_dir(self)
        (data / "config").mkdir()
        write_self_signed(data / "certs")
        (data / "config" / "moonraker.conf").write_text(BASE_CONFIG)
        process = spawn_daemon(data, expect={"HTTP", "HTTPS"})
        self.addCleanup(process.kill)
        ports = await process.listening
        response = await http_client(self).get(f"http://127.0.0.1:{ports['HTTP']}/server/info")
        self.assertEqual(response.code, 200)
        self.assertIn("klippy_state", json.loads(await response.text())["result"])
        client = await connect_websocket(self, f"ws://127.0.0.1:{ports['HTTP']}/websocket")
        self.assertIn("result", await client.call("server.info"))
        unix = await connect_unix(self, data / "comms" / "moonraker.sock")
        self.assertIn("result", await unix.call("server.info"))
        self.assertNotEqual(ports["HTTPS"], ports["HTTP"])
        process.signal("TERM")
        await process.ended
        log = (data / "logs" / "moonraker.log").read_text()
        self.assertIn("HTTP listening on", log)

    async def test_first_start_without_config_creates_layout_and_warns(self) -> None:
        data = short_temp_dir(self) / "printer_data"
        process = spawn_daemon(data, "--unixsocket", str(data / "m.sock"))
        self.addCleanup(process.kill)
        await wait_for(lambda: (data / "m.sock").exists() or process.ended.called, timeout=20)
        unix = await connect_unix(self, data / "m.sock")
        info = (await unix.call("server.info"))["result"]
        for folder in ("config", "gcodes", "logs", "database", "comms"):
            self.assertTrue((data / folder).is_dir(), folder)
        self.assertTrue(any("moonraker.conf" in w for w in info["warnings"]), info["warnings"])

    async def test_config_parse_error_stops_start_up_naming_file_and_line(self) -> None:
        data = short_temp_dir(self)
        (data / "config").mkdir()
        (data / "config" / "moonraker.conf").write_text("[server]\nport: 0\nthis line is broken\n")
        process = spawn_daemon(data)
        self.addCleanup(process.kill)
        process.listening.addErrback(lambda _: None)
        status = await process.ended
        self.assertEqual(status.exitCode, 1)
        self.assertIn(b"moontwist: Configuration error: Invalid line 'this line is broken'", process.output)
        self.assertIn(b"moonraker.conf, line 3", process.output)
        self.assertNotIn(b"Traceback", process.output)


class RestartTests(TestCase):
    timeout = 60

    async def test_server_restart_answers_ok_then_comes_back_with_config_reloaded(self) -> None:
        data = short_temp_dir(self)
        (data / "config").mkdir()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        config = data / "config" / "moonraker.conf"
        config.write_text(BASE_CONFIG.replace("port: 0\n", f"port: {port}\n", 1))
        process = spawn_daemon(data)
        self.addCleanup(process.kill)
        await process.listening
        url = f"http://127.0.0.1:{port}"
        config.write_text(config.read_text() + "reloaded_marker: 1\n")
        response = await http_client(self).post(url + "/server/restart")
        self.assertEqual((await response.json())["result"], "ok")
        await wait_for(lambda: process.output.count(b"HTTP listening on") == 2, timeout=30)
        response = await http_client(self).get(url + "/server/info")
        warnings = (await response.json())["result"]["warnings"]
        self.assertTrue(any("reloaded_marker" in w for w in warnings), warnings)
        process.signal("TERM")
        await process.ended
