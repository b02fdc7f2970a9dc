"""``machine.peripherals.canbus``: Klipper/Katapult nodes waiting for an id on a SocketCAN bus.

One query frame to Klipper's admin id (0x3f0); every unassigned node
answers on 0x3f1 with its 6-byte UUID and the application it runs. Answers
are collected for two seconds, as Moonraker does. A host without that CAN
interface answers no UUIDs (Moonraker: a 500 "Address family not supported").
"""

from __future__ import annotations

import socket
import struct
from typing import Any, Callable

from twisted.internet.defer import Deferred
from twisted.logger import Logger

from moontwist.errors import ApiError
from moontwist.services.machine.host import HostPaths

log = Logger()

FRAME = struct.Struct("<IB3x8s")
ADMIN_ID = 0x3F0
ADMIN_REPLY_ID = ADMIN_ID + 1
QUERY_UNASSIGNED = 0x00
NEEDS_NODE_ID = 0x20
APPLICATIONS = {0x01: "Klipper", 0x11: "Katapult"}
COLLECT_SECONDS = 2.0
CAN_EFF_MASK = 0x1FFFFFFF


def can_socket(interface: str) -> socket.socket:
    sock = socket.socket(socket.PF_CAN, socket.SOCK_RAW, socket.CAN_RAW)
    try:
        sock.bind((interface,))
    except OSError:
        sock.close()
        raise ApiError(f"Unable to bind socket to interface '{interface}'", 500) from None
    return sock


def decode_reply(frame: bytes) -> dict[str, str] | None:
    """One answer frame as ``{"uuid", "application"}``; None when it is not one."""
    if len(frame) < FRAME.size:
        return None
    can_id, length, data = FRAME.unpack(frame[:FRAME.size])
    payload = data[:length]
    if can_id & CAN_EFF_MASK != ADMIN_REPLY_ID or len(payload) < 7 or payload[0] != NEEDS_NODE_ID:
        return None
    application = APPLICATIONS.get(payload[7], "Unknown") if len(payload) > 7 else "Unknown"
    return {"uuid": payload[1:7].hex(), "application": application}


class UuidQuery:
    """Reads answers from the socket on the reactor until the collection time is over."""

    def __init__(self, reactor: Any, sock: socket.socket) -> None:
        self.reactor = reactor
        self.sock = sock
        self.uuids: list[dict[str, str]] = []
        self.done: Deferred[list[dict[str, str]]] = Deferred()

    def start(self) -> "Deferred[list[dict[str, str]]]":
        self.sock.setblocking(False)
        self.reactor.addReader(self)
        self.sock.send(FRAME.pack(ADMIN_ID, 1, bytes([QUERY_UNASSIGNED])))
        self.reactor.callLater(COLLECT_SECONDS, self._finish)
        return self.done

    def fileno(self) -> int:
        return self.sock.fileno()

    def logPrefix(self) -> str:
        return "canbus"

    def doRead(self) -> None:
        while True:
            try:
                frame = self.sock.recv(FRAME.size)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as error:
                log.info("CAN socket read failed: {error}", error=error)
                self._finish()
                return
            if not frame:
                self._finish()
                return
            found = decode_reply(frame)
            if found is not None and found not in self.uuids:
                self.uuids.append(found)

    def connectionLost(self, reason: Any) -> None:
        self._finish()

    def _finish(self) -> None:
        if self.done.called:
            return
        self.reactor.removeReader(self)
        self.sock.close()
        self.done.callback(self.uuids)


async def query_uuids(reactor: Any, paths: HostPaths, interface: str,
                      open_socket: Callable[[str], socket.socket] = can_socket) -> list[dict[str, str]]:
    if not paths.sys("class", "net", interface).exists():
        return []
    return await UuidQuery(reactor, open_socket(interface)).start()
