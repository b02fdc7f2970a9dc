"""The simulator on a real Unix socket, spoken to by a real client connection."""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import Any

from twisted.internet import reactor
from twisted.internet.defer import Deferred, DeferredQueue
from twisted.internet.endpoints import UNIXClientEndpoint, connectProtocol
from twisted.internet.error import ConnectError
from twisted.internet.task import deferLater
from twisted.python.failure import Failure
from twisted.trial.unittest import TestCase

from moontwist.protocols.etx import ETXProtocol
from moontwist.protocols.jsoncodec import decode, encode
from moontwist.simulator import SimulatorService

TIMEOUT = 5.0


class KlippyClient(ETXProtocol):
    """What Moonraker does on the socket, reduced to requests and a queue of pushes."""

    def __init__(self) -> None:
        self.replies: dict[int, Deferred[dict[str, Any]]] = {}
        self.pushes: DeferredQueue[dict[str, Any]] = DeferredQueue()
        self.lost: Deferred[None] = Deferred()
        self.next_id = 0

    def messageReceived(self, message: bytes) -> None:
        decoded = decode(message)
        if "id" in decoded:
            self.replies.pop(decoded["id"]).callback(decoded)
        else:
            self.pushes.put(decoded)

    def connectionLost(self, reason: Failure = Failure(ConnectionError())) -> None:
        self.lost.callback(None)

    def request(self, method: str, **params: Any) -> Deferred[dict[str, Any]]:
        self.next_id += 1
        reply: Deferred[dict[str, Any]] = Deferred()
        self.replies[self.next_id] = reply
        self.sendMessage(encode({"id": self.next_id, "method": method, "params": params}))
        return reply.addTimeout(TIMEOUT, reactor)


class UnixSocketTests(TestCase):
    timeout = 30

    def setUp(self) -> Deferred[None]:
        directory = tempfile.mkdtemp(prefix="klippy-sim-")
        self.addCleanup(shutil.rmtree, directory)
        self.socket_path = os.path.join(directory, "klippy.sock")
        gcodes = os.path.join(directory, "gcodes")
        os.makedirs(gcodes)
        with open(os.path.join(gcodes, "tiny.gcode"), "w") as handle:
            handle.write("G28\nG1 X10 Y10 F6000\nG1 X20\n")
        self.service = SimulatorService.create(reactor, self.socket_path, gcodes, speed=50.0, startup_delay=0.1)
        self.addCleanup(self.service.stopService)
        return self.service.startService()

    async def connect(self) -> KlippyClient:
        client = await connectProtocol(UNIXClientEndpoint(reactor, self.socket_path), KlippyClient())
        self.addCleanup(self.disconnect, client)
        return client

    async def disconnect(self, client: KlippyClient) -> None:
        if client.transport is not None and not client.lost.called:
            client.transport.loseConnection()
        await client.lost

    async def next_push(self, client: KlippyClient) -> dict[str, Any]:
        return await client.pushes.get().addTimeout(TIMEOUT, reactor)

    def test_info_script_output_and_status_pushes_over_the_socket(self) -> Deferred[None]:
        return Deferred.fromCoroutine(self._info_script_output_and_status_pushes())

    async def _info_script_output_and_status_pushes(self) -> None:
        client = await self.connect()
        info = await client.request("info", client_info={"program": "Moonraker"})
        self.assertEqual(info["result"]["state"], "ready")
        await client.request("gcode/subscribe_output", response_template={"method": "process_gcode_response"})
        subscribed = await client.request("objects/subscribe", objects={"gcode_move": ["absolute_coordinates"]},
                                          response_template={"method": "process_status_update"})
        self.assertEqual(subscribed["result"]["status"], {"gcode_move": {"absolute_coordinates": True}})
        reply = await client.request("gcode/script", script="M118 hello\nG91")
        self.assertEqual(reply, {"id": 4, "result": {}})
        self.assertEqual(await self.next_push(client),
                         {"method": "process_gcode_response", "params": {"response": "echo: hello"}})
        update = await self.next_push(client)
        self.assertEqual(update["method"], "process_status_update")
        self.assertEqual(update["params"]["status"], {"gcode_move": {"absolute_coordinates": False}})
        await self.service.stopService()
        await client.lost

    def test_a_print_completes_and_a_firmware_restart_drops_and_then_accepts_clients(self) -> Deferred[None]:
        return Deferred.fromCoroutine(self._print_and_restart())

    async def _print_and_restart(self) -> None:
        client = await self.connect()
        await client.request("objects/subscribe", objects={"print_stats": ["state"]},
                             response_template={"method": "process_status_update"})
        await client.request("gcode/script", script="SDCARD_PRINT_FILE FILENAME=tiny.gcode")
        states = []
        while "complete" not in states:
            push = await self.next_push(client)
            states.append(push["params"]["status"]["print_stats"]["state"])
        self.assertEqual(states, ["printing", "complete"])
        await client.request("gcode/firmware_restart")
        await client.lost
        # As Klippy: the socket file goes away with the old process...
        for _ in range(40):
            if not os.path.exists(self.socket_path):
                break
            await deferLater(reactor, 0.01, lambda: None)
        self.assertFalse(os.path.exists(self.socket_path))
        # ...and the new one is ready at its first answer.
        restarted = await self.reconnect()
        info = await restarted.request("info")
        self.assertEqual(info["result"]["state"], "ready")
        await self.service.stopService()
        await restarted.lost

    async def reconnect(self) -> KlippyClient:
        """Retry like Moonraker's 250 ms loop until the restarted host accepts and answers."""
        for _ in range(40):
            await deferLater(reactor, 0.25, lambda: None)
            try:
                client = await self.connect()
            except ConnectError:
                continue
            await deferLater(reactor, 0.05, lambda: None)
            if not client.lost.called:
                return client
        raise AssertionError("the simulator never came back after the restart")
