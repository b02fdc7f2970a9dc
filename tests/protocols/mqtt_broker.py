"""The broker's half of the MQTT wire, for unit tests: read what a client sent, write replies."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

from moontwist.protocols.mqtt_packets import (
    MQTT_5,
    PacketReader,
    PacketType,
    Properties,
    encode_properties,
    encode_string,
    packet,
)


@dataclass
class Sent:
    """One packet a client sent, cut into the fields the tests look at."""

    kind: PacketType
    flags: int
    body: bytes

    @property
    def packet_id(self) -> int:
        if self.kind is PacketType.PUBLISH:
            topic_length = struct.unpack("!H", self.body[:2])[0]
            return int(struct.unpack("!H", self.body[2 + topic_length:4 + topic_length])[0])
        return int(struct.unpack("!H", self.body[:2])[0])

    @property
    def qos(self) -> int:
        return self.flags >> 1 & 3

    @property
    def dup(self) -> bool:
        return bool(self.flags & 8)

    @property
    def topic(self) -> str:
        length = struct.unpack("!H", self.body[:2])[0]
        return self.body[2:2 + length].decode()

    def payload(self, version: int) -> bytes:
        at = 2 + len(self.topic.encode()) + (2 if self.qos else 0)
        if version == MQTT_5:
            at += 1 + self.body[at]
        return self.body[at:]


def sent_packets(data: bytes) -> list[Sent]:
    return [Sent(PacketType(first >> 4), first & 0x0F, body) for first, body in PacketReader(1 << 24).feed(data)]


def connack(code: int = 0, session_present: bool = False, version: int = 4,
            properties: Properties | None = None) -> bytes:
    body = bytes([1 if session_present else 0, code])
    if version == MQTT_5:
        body += encode_properties(properties)
    return packet(PacketType.CONNACK, 0, body)


def ack(kind: PacketType, packet_id: int, reason: int | None = None) -> bytes:
    body = struct.pack("!H", packet_id)
    if reason is not None:
        body += bytes([reason]) + encode_properties(None)
    return packet(kind, 0x02 if kind is PacketType.PUBREL else 0, body)


def suback(packet_id: int, codes: list[int], version: int = 4) -> bytes:
    body = struct.pack("!H", packet_id) + (encode_properties(None) if version == MQTT_5 else b"")
    return packet(PacketType.SUBACK, 0, body + bytes(codes))


def publish(topic: str, payload: bytes, qos: int = 0, packet_id: int | None = None, retain: bool = False,
            dup: bool = False, version: int = 4, properties: dict[int, Any] | None = None) -> bytes:
    body = encode_string(topic)
    if qos:
        assert packet_id is not None
        body += struct.pack("!H", packet_id)
    if version == MQTT_5:
        body += encode_properties(properties)
    flags = (8 if dup else 0) | qos << 1 | (1 if retain else 0)
    return packet(PacketType.PUBLISH, flags, body + payload)

