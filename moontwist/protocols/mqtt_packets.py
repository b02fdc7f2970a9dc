"""MQTT control packets on the wire (3.1, 3.1.1 and 5), from a client's side.

Encoders build what a client sends; ``decode`` turns what a broker sends into
small records. Anything a broker may not send, or sends wrongly, raises
``MalformedPacket`` with the MQTT 5 reason code that names the problem.
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass, field
from typing import Any

MQTT_31 = 3
MQTT_311 = 4
MQTT_5 = 5
PROTOCOL_NAMES = {MQTT_31: b"MQIsdp", MQTT_311: b"MQTT", MQTT_5: b"MQTT"}
# The largest remaining length a four-byte variable integer holds.
MAX_REMAINING_LENGTH = 268_435_455


class PacketType(enum.IntEnum):
    CONNECT = 1
    CONNACK = 2
    PUBLISH = 3
    PUBACK = 4
    PUBREC = 5
    PUBREL = 6
    PUBCOMP = 7
    SUBSCRIBE = 8
    SUBACK = 9
    UNSUBSCRIBE = 10
    UNSUBACK = 11
    PINGREQ = 12
    PINGRESP = 13
    DISCONNECT = 14
    AUTH = 15


class Property(enum.IntEnum):
    """MQTT 5 property identifiers this client reads or writes."""

    PAYLOAD_FORMAT = 0x01
    MESSAGE_EXPIRY = 0x02
    CONTENT_TYPE = 0x03
    RESPONSE_TOPIC = 0x08
    CORRELATION_DATA = 0x09
    SUBSCRIPTION_ID = 0x0B
    SESSION_EXPIRY = 0x11
    ASSIGNED_CLIENT_ID = 0x12
    SERVER_KEEP_ALIVE = 0x13
    AUTH_METHOD = 0x15
    AUTH_DATA = 0x16
    REQUEST_PROBLEM_INFO = 0x17
    WILL_DELAY = 0x18
    REQUEST_RESPONSE_INFO = 0x19
    RESPONSE_INFO = 0x1A
    SERVER_REFERENCE = 0x1C
    REASON_STRING = 0x1F
    RECEIVE_MAXIMUM = 0x21
    TOPIC_ALIAS_MAXIMUM = 0x22
    TOPIC_ALIAS = 0x23
    MAXIMUM_QOS = 0x24
    RETAIN_AVAILABLE = 0x25
    USER_PROPERTY = 0x26
    MAXIMUM_PACKET_SIZE = 0x27
    WILDCARD_SUBSCRIPTION = 0x28
    SUBSCRIPTION_ID_AVAILABLE = 0x29
    SHARED_SUBSCRIPTION = 0x2A


_BYTE, _U16, _U32, _VARINT, _STRING, _BINARY, _PAIR = range(7)
_PROPERTY_KINDS: dict[int, int] = {
    0x01: _BYTE, 0x02: _U32, 0x03: _STRING, 0x08: _STRING, 0x09: _BINARY, 0x0B: _VARINT,
    0x11: _U32, 0x12: _STRING, 0x13: _U16, 0x15: _STRING, 0x16: _BINARY, 0x17: _BYTE,
    0x18: _U32, 0x19: _BYTE, 0x1A: _STRING, 0x1C: _STRING, 0x1F: _STRING, 0x21: _U16,
    0x22: _U16, 0x23: _U16, 0x24: _BYTE, 0x25: _BYTE, 0x26: _PAIR, 0x27: _U32,
    0x28: _BYTE, 0x29: _BYTE, 0x2A: _BYTE,
}
# Properties that may appear more than once: kept as lists.
_REPEATABLE = {Property.USER_PROPERTY, Property.SUBSCRIPTION_ID}

Properties = dict[int, Any]


class MalformedPacket(Exception):
    """A packet that breaks the protocol; ``reason_code`` is MQTT 5's name for it."""

    def __init__(self, message: str, reason_code: int = 0x81) -> None:
        super().__init__(message)
        self.reason_code = reason_code


# Encoding.

def encode_varint(value: int) -> bytes:
    if not 0 <= value <= MAX_REMAINING_LENGTH:
        raise ValueError(f"{value} does not fit an MQTT variable byte integer")
    out = bytearray()
    while True:
        digit, value = value % 128, value // 128
        out.append(digit | 0x80 if value else digit)
        if not value:
            return bytes(out)


def encode_string(text: str) -> bytes:
    return encode_binary(text.encode("utf-8"))


def encode_binary(data: bytes) -> bytes:
    if len(data) > 0xFFFF:
        raise ValueError("MQTT strings and binary fields hold at most 65535 bytes")
    return struct.pack("!H", len(data)) + data


def encode_properties(properties: Properties | None) -> bytes:
    body = bytearray()
    for identifier, value in (properties or {}).items():
        values = value if identifier in _REPEATABLE and isinstance(value, list) else [value]
        for item in values:
            body.append(identifier)
            kind = _PROPERTY_KINDS[identifier]
            if kind == _BYTE:
                body.append(item)
            elif kind == _U16:
                body += struct.pack("!H", item)
            elif kind == _U32:
                body += struct.pack("!I", item)
            elif kind == _VARINT:
                body += encode_varint(item)
            elif kind == _STRING:
                body += encode_string(item)
            elif kind == _BINARY:
                body += encode_binary(item)
            else:
                body += encode_string(item[0]) + encode_string(item[1])
    return encode_varint(len(body)) + bytes(body)


def packet(kind: PacketType, flags: int, body: bytes) -> bytes:
    return bytes([kind << 4 | flags]) + encode_varint(len(body)) + body


@dataclass(frozen=True)
class Will:
    topic: str
    payload: bytes
    qos: int = 0
    retain: bool = False
    properties: Properties = field(default_factory=dict)


def encode_connect(
    version: int, client_id: str, keepalive: int, clean: bool, *, username: str | None = None,
    password: str | None = None, will: Will | None = None, properties: Properties | None = None,
) -> bytes:
    flags = 0x02 if clean else 0
    if will is not None:
        flags |= 0x04 | will.qos << 3 | (0x20 if will.retain else 0)
    if username is not None:
        flags |= 0x80
    if password is not None:
        flags |= 0x40
    body = bytearray(encode_string(PROTOCOL_NAMES[version].decode()))
    body += struct.pack("!BBH", version, flags, keepalive)
    if version == MQTT_5:
        body += encode_properties(properties)
    body += encode_string(client_id)
    if will is not None:
        if version == MQTT_5:
            body += encode_properties(will.properties)
        body += encode_string(will.topic) + encode_binary(will.payload)
    if username is not None:
        body += encode_string(username)
    if password is not None:
        body += encode_binary(password.encode("utf-8"))
    return packet(PacketType.CONNECT, 0, bytes(body))


def encode_publish(version: int, topic: str, payload: bytes, qos: int, retain: bool, packet_id: int | None,
                   dup: bool = False, properties: Properties | None = None) -> bytes:
    flags = (0x08 if dup else 0) | qos << 1 | (0x01 if retain else 0)
    head = encode_string(topic)
    if qos:
        assert packet_id is not None
        head += struct.pack("!H", packet_id)
    if version == MQTT_5:
        head += encode_properties(properties)
    return packet(PacketType.PUBLISH, flags, head + payload)


def encode_ack(kind: PacketType, version: int, packet_id: int, reason_code: int = 0) -> bytes:
    """PUBACK, PUBREC, PUBREL or PUBCOMP; MQTT 5 may omit a success reason."""
    body = struct.pack("!H", packet_id)
    if version == MQTT_5 and reason_code:
        body += bytes([reason_code]) + encode_properties(None)
    return packet(kind, 0x02 if kind is PacketType.PUBREL else 0, body)


def encode_subscribe(version: int, packet_id: int, topics: list[tuple[str, int]]) -> bytes:
    body = bytearray(struct.pack("!H", packet_id))
    if version == MQTT_5:
        body += encode_properties(None)
    for topic, qos in topics:
        body += encode_string(topic) + bytes([qos])
    return packet(PacketType.SUBSCRIBE, 0x02, bytes(body))


def encode_unsubscribe(version: int, packet_id: int, topics: list[str]) -> bytes:
    body = bytearray(struct.pack("!H", packet_id))
    if version == MQTT_5:
        body += encode_properties(None)
    for topic in topics:
        body += encode_string(topic)
    return packet(PacketType.UNSUBSCRIBE, 0x02, bytes(body))


PINGREQ = packet(PacketType.PINGREQ, 0, b"")


def encode_disconnect(version: int, reason_code: int = 0, properties: Properties | None = None) -> bytes:
    if version != MQTT_5 or (reason_code == 0 and not properties):
        return packet(PacketType.DISCONNECT, 0, b"")
    return packet(PacketType.DISCONNECT, 0, bytes([reason_code]) + encode_properties(properties))


# Decoding.

@dataclass(frozen=True)
class ConnAck:
    session_present: bool
    reason_code: int
    properties: Properties


@dataclass(frozen=True)
class Publish:
    topic: str
    payload: bytes
    qos: int
    retain: bool
    dup: bool
    packet_id: int | None
    properties: Properties


@dataclass(frozen=True)
class Ack:
    """PUBACK, PUBREC, PUBREL, PUBCOMP or UNSUBACK (whose reasons, in MQTT 5, are a list)."""

    kind: PacketType
    packet_id: int
    reason_codes: tuple[int, ...]
    properties: Properties


@dataclass(frozen=True)
class SubAck:
    packet_id: int
    reason_codes: tuple[int, ...]
    properties: Properties


@dataclass(frozen=True)
class PingResp:
    pass


@dataclass(frozen=True)
class Disconnect:
    reason_code: int
    properties: Properties


@dataclass(frozen=True)
class Auth:
    reason_code: int
    properties: Properties


Packet = ConnAck | Publish | Ack | SubAck | PingResp | Disconnect | Auth


class _Reader:
    """A cursor over one packet's body; running short is a malformed packet."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._at = 0

    def remaining(self) -> int:
        return len(self._data) - self._at

    def take(self, count: int) -> bytes:
        if count > self.remaining():
            raise MalformedPacket("packet shorter than its fields")
        chunk = self._data[self._at:self._at + count]
        self._at += count
        return chunk

    def byte(self) -> int:
        return self.take(1)[0]

    def u16(self) -> int:
        value: int = struct.unpack("!H", self.take(2))[0]
        return value

    def u32(self) -> int:
        value: int = struct.unpack("!I", self.take(4))[0]
        return value

    def varint(self) -> int:
        value, multiplier = 0, 1
        for _ in range(4):
            digit = self.byte()
            value += (digit & 0x7F) * multiplier
            if not digit & 0x80:
                return value
            multiplier *= 128
        raise MalformedPacket("variable byte integer longer than four bytes")

    def binary(self) -> bytes:
        return self.take(self.u16())

    def string(self) -> str:
        raw = self.binary()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedPacket("string is not valid UTF-8") from None
        if "\x00" in text:
            raise MalformedPacket("string holds U+0000")
        return text

    def properties(self) -> Properties:
        length = self.varint()
        inner = _Reader(self.take(length))
        found: Properties = {}
        while inner.remaining():
            identifier = inner.varint()
            kind = _PROPERTY_KINDS.get(identifier)
            if kind is None:
                raise MalformedPacket(f"unknown property 0x{identifier:02x}")
            value: Any
            if kind == _BYTE:
                value = inner.byte()
            elif kind == _U16:
                value = inner.u16()
            elif kind == _U32:
                value = inner.u32()
            elif kind == _VARINT:
                value = inner.varint()
            elif kind == _STRING:
                value = inner.string()
            elif kind == _BINARY:
                value = inner.binary()
            else:
                value = (inner.string(), inner.string())
            if identifier in _REPEATABLE:
                found.setdefault(identifier, []).append(value)
            elif identifier in found:
                raise MalformedPacket(f"property 0x{identifier:02x} given twice", 0x82)
            else:
                found[identifier] = value
        return found

    def rest(self) -> bytes:
        return self.take(self.remaining())


def decode(first_byte: int, body: bytes, version: int) -> Packet:
    """One packet a broker sent; ``MalformedPacket`` if a broker may not send it so."""
    kind_number, flags = first_byte >> 4, first_byte & 0x0F
    if kind_number == PacketType.PUBLISH:
        return _publish(flags, _Reader(body), version)
    try:
        kind = PacketType(kind_number)
    except ValueError:
        raise MalformedPacket(f"reserved packet type {kind_number}", 0x82) from None
    expected_flags = 0x02 if kind is PacketType.PUBREL else 0
    if flags != expected_flags:
        raise MalformedPacket(f"{kind.name} with reserved flags 0x{flags:x}")
    reader = _Reader(body)
    packet_: Packet
    if kind is PacketType.CONNACK:
        acknowledge = reader.byte()
        if acknowledge & 0xFE:
            raise MalformedPacket("CONNACK with reserved flags")
        code = reader.byte()
        properties = reader.properties() if version == MQTT_5 else {}
        packet_ = ConnAck(bool(acknowledge & 1), code, properties)
    elif kind in (PacketType.PUBACK, PacketType.PUBREC, PacketType.PUBREL, PacketType.PUBCOMP):
        packet_id = reader.u16()
        code, properties = 0, {}
        if version == MQTT_5 and reader.remaining():
            code = reader.byte()
            properties = reader.properties() if reader.remaining() else {}
        packet_ = Ack(kind, packet_id, (code,), properties)
    elif kind in (PacketType.SUBACK, PacketType.UNSUBACK):
        packet_id = reader.u16()
        properties = reader.properties() if version == MQTT_5 else {}
        codes = tuple(reader.rest())
        if kind is PacketType.SUBACK:
            if not codes:
                raise MalformedPacket("SUBACK without return codes")
            packet_ = SubAck(packet_id, codes, properties)
        else:
            packet_ = Ack(kind, packet_id, codes, properties)
    elif kind is PacketType.PINGRESP:
        packet_ = PingResp()
    elif kind is PacketType.DISCONNECT and version == MQTT_5:
        code = reader.byte() if reader.remaining() else 0
        packet_ = Disconnect(code, reader.properties() if reader.remaining() else {})
    elif kind is PacketType.AUTH and version == MQTT_5:
        code = reader.byte() if reader.remaining() else 0
        packet_ = Auth(code, reader.properties() if reader.remaining() else {})
    else:
        raise MalformedPacket(f"a broker does not send {kind.name}", 0x82)
    if reader.remaining():
        raise MalformedPacket(f"{kind.name} longer than its fields")
    return packet_


def _publish(flags: int, reader: _Reader, version: int) -> Publish:
    qos = flags >> 1 & 0x03
    if qos == 3:
        raise MalformedPacket("PUBLISH with QoS 3")
    dup = bool(flags & 0x08)
    if dup and qos == 0:
        raise MalformedPacket("PUBLISH with DUP set at QoS 0")
    topic = reader.string()
    if "+" in topic or "#" in topic:
        raise MalformedPacket("PUBLISH topic holds a wildcard", 0x90)
    packet_id = None
    if qos:
        packet_id = reader.u16()
        if packet_id == 0:
            raise MalformedPacket("PUBLISH with packet identifier 0")
    properties = reader.properties() if version == MQTT_5 else {}
    return Publish(topic, reader.rest(), qos, bool(flags & 0x01), dup, packet_id, properties)


class PacketReader:
    """Cuts a byte stream into packets, refusing any larger than ``max_size``.

    The buffer never holds more than one partial packet of at most ``max_size``
    bytes plus its header: an oversized length is refused from its header.
    """

    def __init__(self, max_size: int) -> None:
        self.max_size = max_size
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[tuple[int, bytes]]:
        self._buffer += data
        packets: list[tuple[int, bytes]] = []
        while True:
            found = self._header()
            if found is None:
                return packets
            header_length, remaining = found
            end = header_length + remaining
            if len(self._buffer) < end:
                return packets
            packets.append((self._buffer[0], bytes(self._buffer[header_length:end])))
            del self._buffer[:end]

    def _header(self) -> tuple[int, int] | None:
        buffer = self._buffer
        value, multiplier = 0, 1
        for index in range(1, 5):
            if index >= len(buffer):
                return None
            digit = buffer[index]
            value += (digit & 0x7F) * multiplier
            if not digit & 0x80:
                if 1 + index + value > self.max_size:
                    raise MalformedPacket(f"packet of {1 + index + value} bytes exceeds "
                                          f"the limit of {self.max_size}", 0x95)
                return 1 + index, value
            multiplier *= 128
        raise MalformedPacket("remaining length longer than four bytes")
