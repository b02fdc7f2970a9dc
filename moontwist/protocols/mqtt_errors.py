"""MQTT reason codes by name, and the errors the MQTT client raises."""

from __future__ import annotations

# MQTT 3.1 / 3.1.1 CONNACK return codes.
CONNACK_V3 = {
    1: "unacceptable protocol version",
    2: "client identifier rejected",
    3: "server unavailable",
    4: "bad user name or password",
    5: "not authorized",
}

# MQTT 5 reason codes (CONNACK, PUBACK, PUBREC, SUBACK, DISCONNECT...).
REASONS_V5 = {
    0x04: "disconnect with will message",
    0x10: "no matching subscribers",
    0x11: "no subscription existed",
    0x80: "unspecified error",
    0x81: "malformed packet",
    0x82: "protocol error",
    0x83: "implementation specific error",
    0x84: "unsupported protocol version",
    0x85: "client identifier not valid",
    0x86: "bad user name or password",
    0x87: "not authorized",
    0x88: "server unavailable",
    0x89: "server busy",
    0x8A: "banned",
    0x8B: "server shutting down",
    0x8C: "bad authentication method",
    0x8D: "keep alive timeout",
    0x8E: "session taken over",
    0x8F: "topic filter invalid",
    0x90: "topic name invalid",
    0x91: "packet identifier in use",
    0x92: "packet identifier not found",
    0x93: "receive maximum exceeded",
    0x94: "topic alias invalid",
    0x95: "packet too large",
    0x96: "message rate too high",
    0x97: "quota exceeded",
    0x98: "administrative action",
    0x99: "payload format invalid",
    0x9A: "retain not supported",
    0x9B: "QoS not supported",
    0x9C: "use another server",
    0x9D: "server moved",
    0x9E: "shared subscriptions not supported",
    0x9F: "connection rate exceeded",
    0xA0: "maximum connect time",
    0xA1: "subscription identifiers not supported",
    0xA2: "wildcard subscriptions not supported",
}


def reason_name(code: int, version: int, connack: bool = False) -> str:
    """``bad user name or password (0x86)``: a reason a person can act on."""
    if connack and version < 5:
        name = CONNACK_V3.get(code, "unknown return code")
    else:
        name = REASONS_V5.get(code, "unknown reason")
    return f"{name} (0x{code:02x})"


class MQTTError(Exception):
    """Anything the MQTT client reports to its caller."""


class ConnectionRefused(MQTTError):
    """The broker answered CONNECT with a refusal."""

    def __init__(self, code: int, version: int, reason_string: str | None = None) -> None:
        self.code = code
        text = f"MQTT broker refused the connection: {reason_name(code, version, connack=True)}"
        if reason_string:
            text += f": {reason_string}"
        super().__init__(text)

    @property
    def bad_credentials(self) -> bool:
        return self.code in (4, 5, 0x86, 0x87)


class ProtocolViolation(MQTTError):
    """The broker broke the protocol; the connection is closed."""


class PublishRefused(MQTTError):
    """The broker refused a QoS 1 or 2 message (MQTT 5 reason code >= 0x80)."""

    def __init__(self, topic: str, code: int) -> None:
        self.code = code
        super().__init__(f"MQTT broker refused the message on '{topic}': {reason_name(code, 5)}")


class SubscribeRefused(MQTTError):
    def __init__(self, topic: str, code: int) -> None:
        self.code = code
        super().__init__(f"MQTT broker refused the subscription to '{topic}': {reason_name(code, 5)}")


class InvalidTopic(MQTTError):
    """A topic a message cannot be published to (empty, wildcards, too long)."""


class QueueFull(MQTTError):
    """Too many QoS 1/2 messages wait for the broker; this one was not taken."""


class MessageDropped(MQTTError):
    """A QoS 0 message waiting for a connection was dropped to make room."""


class SessionClosed(MQTTError):
    """The client stopped before the broker acknowledged."""


class MessageTooLarge(MQTTError):
    """The message exceeds the maximum packet size the broker accepts."""
