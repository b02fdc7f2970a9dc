"""A small JSON-RPC client for the README tour: websocket or Unix socket.

    scripts/rpc ws://127.0.0.1:7125/websocket server.info
    scripts/rpc printer_data/comms/moonraker.sock printer.objects.query '{"objects": {"toolhead": null}}'
    scripts/rpc ws://127.0.0.1:7125/websocket printer.objects.subscribe '{"objects": {"extruder": null}}' --listen 5
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from autobahn.twisted.websocket import WebSocketClientFactory, WebSocketClientProtocol, connectWS
from twisted.internet.defer import Deferred
from twisted.internet.endpoints import UNIXClientEndpoint, connectProtocol
from twisted.internet.task import deferLater, react

from moontwist.protocols.etx import ETXProtocol


def show(payload: bytes) -> None:
    print(json.dumps(json.loads(payload), indent=2), flush=True)


class WebsocketClient(WebSocketClientProtocol):
    def onOpen(self) -> None:
        self.factory.ready.callback(self)

    def onMessage(self, payload: bytes, isBinary: bool) -> None:
        show(payload)
        if not self.factory.replied.called:
            self.factory.replied.callback(None)

    def send(self, payload: bytes) -> None:
        self.sendMessage(payload)


class UnixClient(ETXProtocol):
    def __init__(self) -> None:
        self.replied: Deferred[None] = Deferred()

    def messageReceived(self, message: bytes) -> None:
        show(message)
        if not self.replied.called:
            self.replied.callback(None)

    def send(self, payload: bytes) -> None:
        self.sendMessage(payload)


async def main(reactor: Any, argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("target", help="ws://host:port/websocket or a Unix socket path")
    parser.add_argument("method")
    parser.add_argument("params", nargs="?", default="{}", help="JSON object")
    parser.add_argument("--listen", type=float, default=0, help="seconds to keep printing notifications")
    args = parser.parse_args(argv)
    payload = json.dumps({"jsonrpc": "2.0", "method": args.method, "params": json.loads(args.params), "id": 1})
    if args.target.startswith(("ws://", "wss://")):
        factory = WebSocketClientFactory(args.target)
        factory.protocol = WebsocketClient
        factory.ready, factory.replied = Deferred(), Deferred()
        connectWS(factory)
        client: Any = await factory.ready
        replied = factory.replied
    else:
        client = UnixClient()
        await connectProtocol(UNIXClientEndpoint(reactor, args.target), client)
        replied = client.replied
    client.send(payload.encode())
    await replied
    if args.listen:
        await deferLater(reactor, args.listen, lambda: None)


if __name__ == "__main__":
    react(main, (sys.argv[1:],))
