"""Resource attacks on a running daemon, while a client measures ``server.info``.

Each test holds an attack for a bounded time and checks what must hold
(every ``server.info`` answered, the daemon alive, limits enforced with the
right answer, peak memory under the bound); latency and memory are printed as
figures, never asserted (the machine is shared).
"""

from __future__ import annotations

import json
import resource
import selectors
import socket
import time
from typing import Any

from twisted.trial.unittest import SkipTest, SynchronousTestCase

from tests.fuzz.daemon import DaemonProcess
from tests.fuzz.probe import LatencyProbe
from tests.fuzz.settings import (ATTACK_SECONDS, IDLE_WEBSOCKETS, MEMORY_BOUND_KIB, SLOWLORIS_CONNECTIONS)
from tests.fuzz.wire import Closed, UnixRpc, WebsocketRpc, server_info

MIB = 1024 * 1024


def figures(name: str, daemon: DaemonProcess, probe: LatencyProbe, **extra: Any) -> None:
    memory = daemon.memory()
    print("\nresource figures:", json.dumps({"attack": name, **probe.figures(), "rss_kib": memory["VmRSS"],
                                              "peak_rss_kib": memory["VmHWM"], **extra}))


def http_answer(port: int, request: bytes, timeout: float = 20.0) -> tuple[int, bytes, bool]:
    """Send ``request`` (all of it if the daemon lets us), read one answer: status, body, closed after."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as raw:
        try:
            raw.sendall(request)
        except (BrokenPipeError, ConnectionResetError):
            pass
        received = b""
        while True:
            try:
                data = raw.recv(1 << 20)
            except ConnectionResetError:
                data = b""
            if not data:
                closed = True
                break
            received += data
            head, separator, body = received.partition(b"\r\n\r\n")
            lowered = head.lower()
            if not separator:
                continue
            if b"content-length:" in lowered:
                complete = len(body) >= int(lowered.split(b"content-length:")[1].split(b"\r\n")[0])
            else:
                complete = b"transfer-encoding: chunked" in lowered and body.endswith(b"0\r\n\r\n")
            if complete:
                closed = b"connection: close" in lowered
                break
    head, _, body = received.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body, closed


class ResourceTests(SynchronousTestCase):
    def start(self, extra: str = "") -> DaemonProcess:
        daemon = DaemonProcess(extra)
        self.addCleanup(daemon.stop)
        return daemon

    def test_slowloris(self) -> None:
        daemon = self.start()
        selector = selectors.DefaultSelector()
        sockets = []
        with LatencyProbe(daemon.port) as probe:
            for index in range(SLOWLORIS_CONNECTIONS):
                raw = socket.create_connection(("127.0.0.1", daemon.port))
                if index % 2:
                    raw.sendall(b"POST /server/jsonrpc HTTP/1.1\r\nHost: p\r\nContent-Type: application/json\r\n"
                                b"Content-Length: 100000\r\n\r\n")
                else:
                    raw.sendall(b"GET /server/info HTTP/1.1\r\nHost: p\r\n")
                raw.setblocking(False)
                sockets.append(raw)
                selector.register(raw, selectors.EVENT_READ)
            answered = 0
            deadline = time.monotonic() + ATTACK_SECONDS
            while time.monotonic() < deadline:
                for raw in sockets:
                    try:
                        raw.send(b"x")
                    except OSError:
                        continue
                for key, _ in selector.select(timeout=0.5):
                    try:
                        if key.fileobj.recv(65536):  # type: ignore[union-attr]
                            answered += 1
                    except OSError:
                        pass
                    selector.unregister(key.fileobj)
        for raw in sockets:
            raw.close()
        figures("slowloris", daemon, probe, connections=len(sockets), seconds=ATTACK_SECONDS,
                answered_or_closed=answered)
        self.assertEqual(probe.failures, [])
        self.assertTrue(daemon.alive())
        self.assertLess(daemon.memory()["VmHWM"], MEMORY_BOUND_KIB)

    def test_idle_websockets(self) -> None:
        enough_descriptors(IDLE_WEBSOCKETS * 2 + 500)
        daemon = self.start(f"max_websocket_connections: {IDLE_WEBSOCKETS + 10}\n")
        clients = []
        with LatencyProbe(daemon.port) as probe:
            for _ in range(IDLE_WEBSOCKETS):
                clients.append(WebsocketRpc(daemon.port))
            unix = UnixRpc(daemon.unix_path)
            held = server_info(unix)["result"]["websocket_count"]
            deadline = time.monotonic() + ATTACK_SECONDS
            while time.monotonic() < deadline:
                self.answer_pings(clients, deadline)
            still = server_info(unix)["result"]["websocket_count"]
        for client in clients:
            client.close()
        figures("idle-websockets", daemon, probe, websockets=held, seconds=ATTACK_SECONDS)
        self.assertEqual((held, still), (IDLE_WEBSOCKETS, IDLE_WEBSOCKETS))
        self.assertEqual(probe.failures, [])
        self.assertLess(daemon.memory()["VmHWM"], MEMORY_BOUND_KIB)

    @staticmethod
    def answer_pings(clients: list[WebsocketRpc], deadline: float) -> None:
        """Idle, as a browser tab is: read what arrives (notifications), send nothing but pongs."""
        for client in clients:
            try:
                while time.monotonic() < deadline:
                    opcode, payload = client.read_frame(time.monotonic() + 0.001)
                    if opcode == 0x9:
                        client.send_frame(0xA, payload)
            except TimeoutError:
                continue

    def test_bodies_at_and_over_every_limit(self) -> None:
        daemon = self.start("max_request_body_size: 4\n")
        port = daemon.port
        outcomes: dict[str, Any] = {}
        with LatencyProbe(daemon.port) as probe:
            call = json.dumps({"jsonrpc": "2.0", "method": "server.info", "id": 1}).encode()
            for name, size in (("json at 4 MiB", 4 * MIB), ("json over 4 MiB", 4 * MIB + 1)):
                body = call + b" " * (size - len(call))
                status, _, _ = http_answer(port, b"POST /server/jsonrpc HTTP/1.1\r\nHost: p\r\nContent-Type: "
                                                 b"application/json\r\nContent-Length: %d\r\n\r\n" % size + body)
                outcomes[name] = status
            chunk = b"100000\r\n" + b" " * 0x100000 + b"\r\n"
            outcomes["json chunked over 4 MiB"] = http_answer(
                port, b"POST /server/jsonrpc HTTP/1.1\r\nHost: p\r\nTransfer-Encoding: chunked\r\n\r\n"
                + chunk * 5 + b"0\r\n\r\n")[0]
            for name, size in (("upload at 4 MiB", 4 * MIB), ("upload over 4 MiB", 4 * MIB + 1)):
                outcomes[name] = http_answer(port, upload_of_size(size))[0]
            outcomes["request line at 16 KiB"] = http_answer(
                port, b"GET /server/info?" + b"a" * (16 * 1024 - 40) + b" HTTP/1.1\r\nHost: p\r\n\r\n")[0]
            outcomes["request line over 16 KiB"] = http_answer(
                port, b"GET /server/info?" + b"a" * (16 * 1024 + 10) + b" HTTP/1.1\r\nHost: p\r\n\r\n")[0]
            outcomes["websocket at 4 MiB"] = websocket_outcome(port, 4 * MIB)
            outcomes["websocket over 4 MiB"] = websocket_outcome(port, 4 * MIB + 1)
            outcomes["unix at 2 MiB"] = unix_outcome(daemon.unix_path, 2 * MIB)
            outcomes["unix over 2 MiB"] = unix_outcome(daemon.unix_path, 2 * MIB + 1)
        figures("bodies-at-limits", daemon, probe, outcomes=outcomes)
        self.assertEqual(outcomes, {
            "json at 4 MiB": 200, "json over 4 MiB": 413, "json chunked over 4 MiB": 413,
            "upload at 4 MiB": 201, "upload over 4 MiB": 413,
            "request line at 16 KiB": 200, "request line over 16 KiB": 414,
            "websocket at 4 MiB": "answered", "websocket over 4 MiB": "closed 1009",
            "unix at 2 MiB": "answered", "unix over 2 MiB": "closed",
        })
        self.assertEqual(probe.failures, [])
        self.assertLess(daemon.memory()["VmHWM"], MEMORY_BOUND_KIB)


def enough_descriptors(needed: int) -> None:
    """Raise this process's descriptor limit (the daemon inherits it) or skip the test."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= needed:
        return
    if hard != resource.RLIM_INFINITY and hard < needed:
        raise SkipTest(f"needs {needed} file descriptors, the hard limit is {hard}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


def upload_of_size(size: int) -> bytes:
    """An upload request whose whole multipart body is ``size`` bytes."""
    head = (b'--b\r\nContent-Disposition: form-data; name="file"; filename="limit.gcode"\r\n'
            b"Content-Type: application/octet-stream\r\n\r\n")
    tail = b"\r\n--b--\r\n"
    body = head + b"G" * (size - len(head) - len(tail)) + tail
    return (b"POST /server/files/upload HTTP/1.1\r\nHost: p\r\nContent-Type: multipart/form-data; boundary=b\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body)) + body


def padded_call(size: int) -> bytes:
    call = json.dumps({"jsonrpc": "2.0", "method": "server.info", "id": 9}).encode()
    return call + b" " * (size - len(call))


def websocket_outcome(port: int, size: int) -> str:
    client = WebsocketRpc(port)
    try:
        reply = client.exchange(padded_call(size))
        return "answered" if reply.get("id") == 9 else f"reply {reply}"
    except Closed:
        return f"closed {client.close_code}"
    finally:
        client.close()


def unix_outcome(path: str, size: int) -> str:
    client = UnixRpc(path)
    try:
        reply = client.exchange(padded_call(size))
        return "answered" if reply.get("id") == 9 else f"reply {reply}"
    except (Closed, ConnectionResetError, BrokenPipeError):
        return "closed"
    finally:
        client.close()
