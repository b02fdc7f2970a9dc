"""The MQTT client protocol (3.1, 3.1.1, 5): one connection to a broker.

``connectionMade`` sends CONNECT; a CONNACK refusal becomes ``ConnectionRefused``
for the listener and the connection closes. While connected, PINGREQ keeps the
link alive and a broker that stops answering is dropped. Everything that must
outlive the connection (in-flight messages, subscriptions) is the
``MQTTSession``'s. A malformed or oversized packet is a logged protocol error
that closes the connection.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.internet.protocol import Factory, connectionDone
from twisted.internet.protocol import Protocol as TwistedProtocol
from twisted.logger import Logger
from twisted.python.failure import Failure

from moontwist.protocols.flow import DEFAULT_SEND_LIMIT, SendBudget
from moontwist.protocols.mqtt_errors import ConnectionRefused, ProtocolViolation, reason_name
from moontwist.protocols.mqtt_packets import (
    MQTT_5,
    MQTT_31,
    MQTT_311,
    PINGREQ,
    Ack,
    Auth,
    ConnAck,
    Disconnect,
    MalformedPacket,
    Packet,
    PacketReader,
    PacketType,
    Property,
    Properties,
    Publish,
    SubAck,
    Will,
    decode,
    encode_ack,
    encode_connect,
    encode_disconnect,
    encode_publish,
    encode_string,
    encode_subscribe,
    encode_unsubscribe,
)
from moontwist.protocols.mqtt_session import MQTTSession

__all__ = ["MQTT_31", "MQTT_311", "MQTT_5", "ConnectOptions", "MQTTClientFactory", "MQTTClientProtocol", "Will"]

log = Logger()


@dataclass(frozen=True)
class ConnectOptions:
    """What CONNECT says, and the limits this client keeps."""

    client_id: str
    version: int = MQTT_311
    username: str | None = None
    password: str | None = None
    keepalive: int = 60
    # False keeps the broker's session (subscriptions, queued QoS 1/2) across reconnects.
    clean_session: bool = False
    # MQTT 5: how long the broker keeps the session after a disconnect (seconds).
    session_expiry: int = 0
    will: Will | None = None
    connect_timeout: float = 10.0
    max_packet_size: int = 1 << 20
    # QoS 2 messages from the broker awaiting PUBREL at once (sent in MQTT 5).
    receive_maximum: int = 100
    # A QoS 1/2 message unacknowledged this long means a broken broker: the
    # connection is dropped, and the message resent on the next one.
    ack_timeout: float = 30.0
    # Bytes written while the broker is not reading, before it is taken for gone.
    send_limit: int = DEFAULT_SEND_LIMIT


class ConnectionListener(Protocol):
    """Told about each connection's life (the MQTT service)."""

    def mqtt_connected(self, protocol: "MQTTClientProtocol", connack: ConnAck) -> None:
        """The broker accepted; the session has already resent what it held."""

    def mqtt_refused(self, error: ConnectionRefused) -> None: ...

    def mqtt_lost(self, protocol: "MQTTClientProtocol", reason: Failure) -> None: ...


class MQTTClientProtocol(TwistedProtocol):
    def __init__(self, options: ConnectOptions, session: MQTTSession, clock: IReactorTime,
                 listener: ConnectionListener) -> None:
        self.options = options
        self.session = session
        self.clock = clock
        self.listener = listener
        self.version = options.version
        self.accepted = False
        self.closing = False
        self.broker_receive_maximum = 0xFFFF
        self.broker_maximum_qos = 2
        self.broker_maximum_packet_size: int | None = None
        self.keepalive = options.keepalive
        self._reader = PacketReader(options.max_packet_size)
        self._last_sent = self._last_received = 0.0
        self._connect_timer: IDelayedCall | None = None
        self._keepalive_timer: IDelayedCall | None = None
        self._ping_timer: IDelayedCall | None = None
        self._budget: SendBudget | None = None

    # Connection life.

    def connectionMade(self) -> None:
        options = self.options
        self._budget = SendBudget(self.transport, options.send_limit, self._send_limit_exceeded)
        self._budget.attach()
        properties: Properties = {}
        if self.version == MQTT_5:
            properties = {Property.SESSION_EXPIRY: options.session_expiry,
                          Property.RECEIVE_MAXIMUM: options.receive_maximum,
                          Property.MAXIMUM_PACKET_SIZE: options.max_packet_size,
                          Property.TOPIC_ALIAS_MAXIMUM: 0}
        self._send(encode_connect(
            self.version, options.client_id, options.keepalive, options.clean_session,
            username=options.username, password=options.password, will=options.will, properties=properties))
        self._connect_timer = self.clock.callLater(options.connect_timeout, self._connect_timed_out)

    def _connect_timed_out(self) -> None:
        self._connect_timer = None
        log.error("MQTT broker sent no CONNACK within {timeout} s", timeout=self.options.connect_timeout)
        self._abort()

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        for timer in (self._connect_timer, self._keepalive_timer, self._ping_timer):
            if timer is not None and timer.active():
                timer.cancel()
        self._connect_timer = self._keepalive_timer = self._ping_timer = None
        self.session.detach(self)
        self.listener.mqtt_lost(self, reason)

    def disconnect(self) -> None:
        """Say goodbye (the broker then keeps the will to itself) and close."""
        if self.closing:
            return
        self.closing = True
        self._send(encode_disconnect(self.version))
        self.transport.loseConnection()

    def _abort(self) -> None:
        self.closing = True
        self.transport.abortConnection()

    def _violation(self, message: str, reason_code: int) -> None:
        log.error("MQTT protocol error from the broker: {message}; closing the connection", message=message)
        self.closing = True
        if self.accepted and self.version == MQTT_5:
            self._send(encode_disconnect(self.version, reason_code))
        self.transport.loseConnection()

    # Receiving.

    def dataReceived(self, data: bytes) -> None:
        if self.closing:
            return
        self._last_received = self.clock.seconds()
        try:
            for first_byte, body in self._reader.feed(data):
                self._packet_received(decode(first_byte, body, self.version))
                if self.closing:
                    return
        except MalformedPacket as error:
            self._violation(str(error), error.reason_code)
        except ProtocolViolation as error:
            self._violation(str(error), 0x82)

    def _packet_received(self, packet: Packet) -> None:
        self._clear_ping()
        if not self.accepted:
            if not isinstance(packet, ConnAck):
                raise ProtocolViolation(f"{type(packet).__name__} before CONNACK")
            self._connack(packet)
            return
        if isinstance(packet, Publish):
            if Property.TOPIC_ALIAS in packet.properties:
                raise MalformedPacket("topic alias sent although we allow none", 0x94)
            if packet.topic == "":
                raise MalformedPacket("PUBLISH with an empty topic", 0x90)
            self.session.received(packet)
        elif isinstance(packet, Ack):
            if packet.kind is PacketType.PUBREL:
                self.session.released_by_broker(packet.packet_id)
            elif packet.kind is PacketType.UNSUBACK:
                self.session.unsubscribe_acknowledged(packet)
            else:
                self.session.acknowledged(packet)
        elif isinstance(packet, SubAck):
            self.session.subscribe_acknowledged(packet)
        elif isinstance(packet, Disconnect):
            self._broker_disconnected(packet)
        elif isinstance(packet, (ConnAck, Auth)):
            raise ProtocolViolation(f"unexpected {type(packet).__name__}")

    def _connack(self, connack: ConnAck) -> None:
        if self._connect_timer is not None:
            self._connect_timer.cancel()
            self._connect_timer = None
        if connack.reason_code:
            error = ConnectionRefused(connack.reason_code, self.version,
                                      connack.properties.get(Property.REASON_STRING))
            self.closing = True
            self.listener.mqtt_refused(error)
            self.transport.loseConnection()
            return
        if connack.session_present and self.options.clean_session:
            raise ProtocolViolation("session present after a clean start")
        properties = connack.properties
        self.broker_receive_maximum = properties.get(Property.RECEIVE_MAXIMUM, 0xFFFF)
        self.broker_maximum_qos = properties.get(Property.MAXIMUM_QOS, 2)
        self.broker_maximum_packet_size = properties.get(Property.MAXIMUM_PACKET_SIZE)
        self.keepalive = properties.get(Property.SERVER_KEEP_ALIVE, self.options.keepalive)
        self.accepted = True
        self._schedule_keepalive(self.keepalive)
        self.session.attach(self, connack.session_present)
        self.listener.mqtt_connected(self, connack)

    def _broker_disconnected(self, packet: Disconnect) -> None:
        reason = packet.properties.get(Property.REASON_STRING)
        log.warn("MQTT broker closed the session: {reason}{detail}",
                 reason=reason_name(packet.reason_code, self.version),
                 detail=f": {reason}" if reason else "")
        self.closing = True
        self.transport.loseConnection()

    # Keepalive: a PINGREQ once `keepalive` seconds pass without sending or
    # without receiving (a client that only publishes QoS 0 hears nothing back,
    # so its own traffic proves nothing); no answer within half as long again
    # means the broker is gone.

    def _schedule_keepalive(self, delay: float) -> None:
        if self.keepalive > 0:
            self._keepalive_timer = self.clock.callLater(delay, self._keepalive_due)

    def _keepalive_due(self) -> None:
        self._keepalive_timer = None
        now = self.clock.seconds()
        oldest = self.session.oldest_unacknowledged()
        if oldest is not None and now - oldest > self.options.ack_timeout:
            log.error("MQTT broker left a message unacknowledged for {timeout} s; reconnecting",
                      timeout=self.options.ack_timeout)
            self._abort()
            return
        idle = now - min(self._last_sent, self._last_received)
        if idle < self.keepalive:
            self._schedule_keepalive(self.keepalive - idle)
            return
        self._send(PINGREQ)
        if self._ping_timer is None:
            self._ping_timer = self.clock.callLater(self.keepalive * 1.5, self._ping_timed_out)
        self._schedule_keepalive(self.keepalive)

    def _ping_timed_out(self) -> None:
        self._ping_timer = None
        log.error("MQTT broker did not answer PINGREQ within {timeout} s; dropping the connection",
                  timeout=self.keepalive * 1.5)
        self._abort()

    def _clear_ping(self) -> None:
        if self._ping_timer is not None:
            self._ping_timer.cancel()
            self._ping_timer = None

    # Sending (the session decides what).

    def _send(self, data: bytes) -> None:
        self._last_sent = self.clock.seconds()
        if self._budget is None or self._budget.written(len(data)):
            self.transport.write(data)

    def _send_limit_exceeded(self) -> None:
        log.error("MQTT broker stopped reading ({limit} bytes wait); dropping the connection",
                  limit=self.options.send_limit)
        self._abort()

    def send_publish(self, topic: str, payload: bytes, qos: int, retain: bool, packet_id: int | None,
                     dup: bool, properties: Properties) -> None:
        self._send(encode_publish(self.version, topic, payload, qos, retain, packet_id, dup, properties))

    def send_ack(self, kind: PacketType, packet_id: int, reason_code: int = 0) -> None:
        self._send(encode_ack(kind, self.version, packet_id, reason_code))

    def send_subscribe(self, packet_id: int, topics: list[tuple[str, int]]) -> None:
        self._send(encode_subscribe(self.version, packet_id, topics))

    def send_unsubscribe(self, packet_id: int, topics: list[str]) -> None:
        self._send(encode_unsubscribe(self.version, packet_id, topics))

    def exceeds_broker_packet_size(self, topic: str, payload: bytes, properties: Properties | None) -> bool:
        limit = self.broker_maximum_packet_size
        # A generous bound on the header, packet id and properties.
        return limit is not None and len(encode_string(topic)) + len(payload) + 16 + 64 * len(properties or {}) > limit


class MQTTClientFactory(Factory):
    """Builds a protocol bound to the one session, for a ClientService."""

    protocol = MQTTClientProtocol

    def __init__(self, options: ConnectOptions, session: MQTTSession, clock: IReactorTime,
                 listener: ConnectionListener) -> None:
        self.options = options
        self.session = session
        self.clock = clock
        self.listener = listener

    def buildProtocol(self, addr: Any) -> MQTTClientProtocol:
        return MQTTClientProtocol(self.options, self.session, self.clock, self.listener)

