"""The moontwist command under systemd: sd_notify on a real datagram socket, socket activation."""

from __future__ import annotations

import os
import socket
import sys

from twisted.internet import reactor
from twisted.internet.protocol import DatagramProtocol
from twisted.trial.unittest import TestCase

from tests.integration.clients import http_client
from tests.integration.daemon import BASE_CONFIG, short_temp_dir
from tests.integration.process import REPO, DaemonProcess, spawn_command, wait_for


class NotifySocket(DatagramProtocol):
    def __init__(self) -> None:
        self.messages: list[str] = []

    def datagramReceived(self, data: bytes, address: object) -> None:
        self.messages.append(data.decode())


class SystemdTests(TestCase):
    timeout = 60

    def data_folder(self, config: str = BASE_CONFIG):  # type: ignore[no-untyped-def]
        data = short_temp_dir(self)
        (data / "config").mkdir()
        (data / "config" / "moonraker.conf").write_text(config)
        return data

    async def test_ready_after_listeners_then_status_and_watchdog_then_stopping(self) -> None:
        data = self.data_folder()
        notify = NotifySocket()
        port = reactor.listenUNIXDatagram(str(data / "notify"), notify)
        self.addCleanup(port.stopListening)
        env = {"NOTIFY_SOCKET": str(data / "notify"), "WATCHDOG_USEC": "400000"}
        process = spawn_command(["-d", str(data), "-n"], data, env)
        self.addCleanup(process.kill)
        ports = await process.listening
        await wait_for(lambda: any(m.startswith("READY=1") for m in notify.messages), timeout=20)
        ready = next(m for m in notify.messages if m.startswith("READY=1"))
        self.assertEqual(ready, "READY=1\nSTATUS=waiting for Klippy")
        response = await http_client(self).get(f"http://127.0.0.1:{ports['HTTP']}/server/info")
        self.assertEqual(response.code, 200)
        await wait_for(lambda: notify.messages.count("WATCHDOG=1") >= 3, timeout=20)
        self.assertEqual(sum(m.startswith("READY=1") for m in notify.messages), 1)
        process.signal("TERM")
        self.assertEqual((await process.ended).exitCode, 0)
        self.assertEqual(notify.messages[-1], "STOPPING=1")
        # Only ours: child processes (systemctl, sudo) do not inherit NOTIFY_SOCKET.
        self.assertEqual({m.split("=")[0] for m in notify.messages}, {"READY", "WATCHDOG", "STOPPING"})

    async def test_socket_activation_serves_http_on_the_inherited_socket(self) -> None:
        data = self.data_folder(BASE_CONFIG.replace("port: 0\n", "port: 1\n", 1))
        listener = socket.socket()
        self.addCleanup(listener.close)
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        port = listener.getsockname()[1]
        process = DaemonProcess({"HTTP"})
        # systemd sets LISTEN_PID to the service's pid after the fork: a shell does the same here.
        argv = ["/bin/sh", "-c", 'export LISTEN_PID=$$ LISTEN_FDS=1; exec "$0" "$@"',
                sys.executable, "-m", "moontwist", "-d", str(data), "-n"]
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        reactor.spawnProcess(process, argv[0], argv, env=env, path=str(data),
                             childFDs={0: "w", 1: "r", 2: "r", 3: listener.fileno()})
        self.addCleanup(process.kill)
        ports = await process.listening
        self.assertEqual(ports["HTTP"], port)
        response = await http_client(self).get(f"http://127.0.0.1:{port}/server/info")
        self.assertEqual(response.code, 200)
        process.signal("TERM")
        self.assertEqual((await process.ended).exitCode, 0)
