"""In-memory clients and a Clock-driven printer for the simulator's unit tests."""

from __future__ import annotations

import json
import os
from typing import Any

from twisted.internet.address import UNIXAddress
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from twisted.trial.unittest import SynchronousTestCase

from moontwist.simulator import SimulatedPrinter
from moontwist.simulator.server import ClientConnection

ORIGIN = 5000.0


class FakeClient:
    """One connection over a StringTransport, speaking raw ETX-framed JSON."""

    def __init__(self, printer: SimulatedPrinter):
        protocol = printer.factory().buildProtocol(UNIXAddress(None))
        assert protocol is not None, "the printer refused the connection"
        self.protocol: ClientConnection = protocol
        self.transport = StringTransport()
        self.protocol.makeConnection(self.transport)
        self.inbox: list[dict[str, Any]] = []
        self._next_id = 0

    def send_raw(self, data: bytes) -> None:
        self.protocol.dataReceived(data)

    def send(self, message: dict[str, Any]) -> None:
        self.send_raw(json.dumps(message).encode() + b"\x03")

    def request(self, method: str, **params: Any) -> int:
        """Send a request with a fresh id; return the id."""
        self._next_id += 1
        self.send({"id": self._next_id, "method": method, "params": params})
        return self._next_id

    def _drain(self) -> None:
        data = self.transport.value()
        self.transport.clear()
        self.inbox.extend(json.loads(part) for part in data.split(b"\x03") if part)

    def messages(self) -> list[dict[str, Any]]:
        """Everything received since the last call."""
        self._drain()
        inbox, self.inbox = self.inbox, []
        return inbox

    def reply(self, request_id: int) -> dict[str, Any] | None:
        """The reply to ``request_id`` if it has arrived (other messages are kept)."""
        self._drain()
        for message in self.inbox:
            if message.get("id") == request_id:
                self.inbox.remove(message)
                return message
        return None

    def result(self, request_id: int) -> Any:
        reply = self.reply(request_id)
        assert reply is not None, f"no reply to request {request_id}"
        assert "result" in reply, f"request {request_id} failed: {reply}"
        return reply["result"]

    def error(self, request_id: int) -> str:
        reply = self.reply(request_id)
        assert reply is not None, f"no reply to request {request_id}"
        assert reply.get("error", {}).get("error") == "WebRequestError", reply
        return str(reply["error"]["message"])

    def pushes(self, method: str) -> list[dict[str, Any]]:
        """The params of every push with ``method`` received so far (consumed)."""
        self._drain()
        found = [message for message in self.inbox if message.get("method") == method]
        self.inbox = [message for message in self.inbox if message.get("method") != method]
        return [message["params"] for message in found]

    def output(self) -> list[str]:
        """G-code output lines pushed to this client (after subscribe_output)."""
        return [params["response"] for params in self.pushes("out")]

    @property
    def closed(self) -> bool:
        return bool(self.transport.disconnecting) or self.protocol.closed


class SimulatorTestCase(SynchronousTestCase):
    """A ready printer on a Clock, with one client subscribed to G-code output."""

    speed = 1.0
    initial_state = "ready"

    def setUp(self) -> None:
        self.clock = Clock()
        self.folder = os.path.abspath(self.mktemp())
        self.gcodes = os.path.join(self.folder, "gcodes")
        os.makedirs(self.gcodes)
        self.config_path = os.path.join(self.folder, "config", "printer.cfg")
        self.write_config()
        self.printer = SimulatedPrinter(
            self.clock, self.gcodes, speed=self.speed, initial_state=self.initial_state,
            config_path=self.config_path, log_path=os.path.join(self.folder, "logs", "klippy.log"),
            monotonic_origin=ORIGIN,
        )
        self.printer.start()
        self.client = self.connect()
        self.addCleanup(self.printer.stop)

    def write_config(self) -> None:
        """The printer.cfg of this test case: the simulator's example unless overridden."""

    def connect(self, subscribe_output: bool = True) -> FakeClient:
        client = FakeClient(self.printer)
        if subscribe_output:
            client.result(client.request("gcode/subscribe_output", response_template={"method": "out"}))
        return client

    def run_script(self, script: str, client: FakeClient | None = None) -> int:
        return (client or self.client).request("gcode/script", script=script)

    def script_ok(self, script: str) -> None:
        """Run a script that must answer ``{}`` without any time passing."""
        self.assertEqual(self.client.result(self.run_script(script)), {})

    def query(self, objects: dict[str, Any], client: FakeClient | None = None) -> dict[str, Any]:
        """objects/query, driving the clock to the tick that answers it."""
        client = client or self.client
        return dict(self._answered(client, client.request("objects/query", objects=objects))["status"])

    def subscribe(self, objects: dict[str, Any], client: FakeClient | None = None) -> dict[str, Any]:
        """objects/subscribe with template ``{"method": "st"}``; returns the full answer."""
        client = client or self.client
        return self._answered(client, client.request("objects/subscribe", objects=objects, response_template={"method": "st"}))

    def _answered(self, client: FakeClient, request_id: int) -> dict[str, Any]:
        for step in (0.0, 0.25):
            self.clock.advance(step)
            reply = client.reply(request_id)
            if reply is not None:
                return dict(reply["result"])
        raise AssertionError(f"request {request_id} was not answered by the next tick")

    def advance(self, seconds: float, step: float = 0.25) -> None:
        """Let ``seconds`` pass in steps, as a real reactor would."""
        remaining = seconds
        while remaining > 1e-9:
            self.clock.advance(min(step, remaining))
            remaining -= step

    def write_gcode(self, name: str, text: str) -> str:
        path = os.path.join(self.gcodes, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as handle:
            handle.write(text)
        return path

    def home(self) -> None:
        request_id = self.run_script("G28")
        self.advance(30)
        self.assertEqual(self.client.result(request_id), {})
