"""An MQTT client session: what outlives one connection to the broker.

Packet identifiers, QoS 1/2 messages in flight (resent after a reconnect),
messages queued while disconnected, incoming QoS 2 messages awaiting PUBREL,
and the subscriptions wanted. Every collection has a limit: the in-flight
window, the two queues, and the broker's own receive maximum for QoS 2 ids.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from twisted.internet.defer import Deferred, fail, succeed
from twisted.logger import Logger

from moontwist.protocols.mqtt_errors import (
    InvalidTopic,
    MessageDropped,
    MessageTooLarge,
    ProtocolViolation,
    PublishRefused,
    QueueFull,
    SessionClosed,
    SubscribeRefused,
)
from moontwist.protocols.mqtt_packets import Ack, PacketType, Properties, Publish, SubAck

if TYPE_CHECKING:
    from moontwist.protocols.mqtt import MQTTClientProtocol

log = Logger()


def topic_problem(topic: str) -> str | None:
    """Why ``topic`` cannot be published to (None when it can)."""
    if not topic:
        return "the topic is empty"
    if "+" in topic or "#" in topic:
        return "wildcards may not be used"
    if "\x00" in topic:
        return "the topic holds U+0000"
    if len(topic.encode("utf-8")) > 0xFFFF:
        return "the topic is longer than 65535 bytes"
    return None


@dataclass(eq=False)
class _Outgoing:
    topic: str
    payload: bytes
    qos: int
    retain: bool
    properties: Properties
    deferred: "Deferred[None]" = field(default_factory=Deferred)
    packet_id: int | None = None
    # PUBREC received and PUBREL sent: the broker owns the message now.
    released: bool = False
    # When it (or its PUBREL) was last sent, on the protocol's clock.
    sent_at: float = 0.0


class MQTTSession:
    """State shared by successive connections of one client; publish and subscribe here."""

    def __init__(self, on_message: Callable[[Publish], None], max_inflight: int = 20,
                 max_queued: int = 1000, max_queued_qos0: int = 200) -> None:
        self.on_message = on_message
        self.max_inflight = max_inflight
        self.max_queued = max_queued
        self.max_queued_qos0 = max_queued_qos0
        self.protocol: MQTTClientProtocol | None = None
        self._window = max_inflight
        self._next_id = 1
        self._inflight: OrderedDict[int, _Outgoing] = OrderedDict()
        self._queue: deque[_Outgoing] = deque()
        self._queue_qos0: deque[_Outgoing] = deque()
        self._incoming_qos2: set[int] = set()
        # Subscriptions wanted (topic -> QoS), those the broker has not confirmed,
        # and callers waiting for a confirmation.
        self.subscriptions: dict[str, int] = {}
        self._unconfirmed: set[str] = set()
        self._subscribe_waiters: dict[str, list["Deferred[int]"]] = {}
        self._pending_subscribe: dict[int, list[str]] = {}
        self._to_unsubscribe: set[str] = set()
        self._pending_unsubscribe: dict[int, list[str]] = {}
        self.closed = False

    @property
    def connected(self) -> bool:
        return self.protocol is not None

    def queued(self) -> int:
        """Messages waiting for a connection or a place in the window (all QoS)."""
        return len(self._queue) + len(self._queue_qos0)

    def in_flight(self) -> int:
        return len(self._inflight)

    def oldest_unacknowledged(self) -> float | None:
        """When the longest-waiting message in flight was sent (None: nothing waits)."""
        return min((message.sent_at for message in self._inflight.values()), default=None)

    # Publishing.

    def publish(self, topic: str, payload: bytes, qos: int = 0, retain: bool = False,
                properties: Properties | None = None) -> "Deferred[None]":
        """Send a message; the Deferred fires when QoS 0 is written or QoS 1/2 acknowledged."""
        if self.closed:
            return fail(SessionClosed("MQTT client stopped"))
        problem = topic_problem(topic)
        if problem is not None:
            return fail(InvalidTopic(f"Cannot publish to '{topic}': {problem}"))
        protocol = self.protocol
        if protocol is not None:
            qos = min(qos, protocol.broker_maximum_qos)
            if protocol.exceeds_broker_packet_size(topic, payload, properties):
                return fail(MessageTooLarge(f"MQTT message on '{topic}' exceeds the broker's packet size"))
        message = _Outgoing(topic, payload, qos, retain, dict(properties or {}))
        if qos == 0:
            if protocol is not None:
                protocol.send_publish(topic, payload, 0, retain, None, False, message.properties)
                return succeed(None)
            if len(self._queue_qos0) >= self.max_queued_qos0:
                self._queue_qos0.popleft().deferred.errback(
                    MessageDropped("MQTT broker unreachable: oldest QoS 0 message dropped"))
            self._queue_qos0.append(message)
            return message.deferred
        if len(self._queue) >= self.max_queued:
            return fail(QueueFull(f"MQTT message queue full: {len(self._queue)} QoS 1/2 messages "
                                  "wait for the broker"))
        self._queue.append(message)
        self._fill_window()
        return message.deferred

    def _allocate_id(self) -> int:
        while True:
            candidate = self._next_id
            self._next_id = candidate % 0xFFFF + 1
            if (candidate not in self._inflight and candidate not in self._pending_subscribe
                    and candidate not in self._pending_unsubscribe):
                return candidate

    def _fill_window(self) -> None:
        protocol = self.protocol
        while protocol is not None and self._queue and len(self._inflight) < self._window:
            message = self._queue.popleft()
            message.qos = min(message.qos, protocol.broker_maximum_qos)
            if message.qos == 0:
                protocol.send_publish(message.topic, message.payload, 0, message.retain, None, False,
                                      message.properties)
                message.deferred.callback(None)
                continue
            message.packet_id = self._allocate_id()
            message.sent_at = protocol.clock.seconds()
            self._inflight[message.packet_id] = message
            protocol.send_publish(message.topic, message.payload, message.qos, message.retain,
                                  message.packet_id, False, message.properties)

    def acknowledged(self, ack: Ack) -> None:
        """PUBACK, PUBREC or PUBCOMP for one of our messages."""
        message = self._inflight.get(ack.packet_id)
        protocol = self.protocol
        if message is None or protocol is None:
            log.debug("MQTT {kind} for unknown packet {id}", kind=ack.kind.name, id=ack.packet_id)
            if ack.kind is PacketType.PUBREC and protocol is not None:
                protocol.send_ack(PacketType.PUBREL, ack.packet_id, 0x92)
            return
        code = ack.reason_codes[0]
        expected = PacketType.PUBACK if message.qos == 1 else (
            PacketType.PUBCOMP if message.released else PacketType.PUBREC)
        if ack.kind is not expected:
            raise ProtocolViolation(f"{ack.kind.name} for packet {ack.packet_id} awaiting {expected.name}")
        if ack.kind is PacketType.PUBREC and code < 0x80:
            message.released = True
            message.sent_at = protocol.clock.seconds()
            protocol.send_ack(PacketType.PUBREL, ack.packet_id)
            return
        del self._inflight[ack.packet_id]
        if code >= 0x80:
            message.deferred.errback(PublishRefused(message.topic, code))
        else:
            message.deferred.callback(None)
        self._fill_window()

    # Receiving.

    def received(self, publish: Publish) -> None:
        protocol = self.protocol
        assert protocol is not None
        if publish.qos == 2:
            assert publish.packet_id is not None
            if publish.packet_id not in self._incoming_qos2:
                if len(self._incoming_qos2) >= protocol.options.receive_maximum:
                    raise ProtocolViolation("broker exceeded our receive maximum of QoS 2 messages")
                self._incoming_qos2.add(publish.packet_id)
                self._deliver(publish)
            protocol.send_ack(PacketType.PUBREC, publish.packet_id)
            return
        self._deliver(publish)
        if publish.qos == 1:
            assert publish.packet_id is not None
            protocol.send_ack(PacketType.PUBACK, publish.packet_id)

    def released_by_broker(self, packet_id: int) -> None:
        protocol = self.protocol
        assert protocol is not None
        known = packet_id in self._incoming_qos2
        self._incoming_qos2.discard(packet_id)
        protocol.send_ack(PacketType.PUBCOMP, packet_id, 0 if known else 0x92)

    def _deliver(self, publish: Publish) -> None:
        try:
            self.on_message(publish)
        except Exception:
            log.failure("MQTT message handler failed for {topic}", topic=publish.topic)

    # Subscriptions.

    def subscribe(self, topic: str, qos: int) -> "Deferred[int]":
        """Keep ``topic`` subscribed (across reconnects); fires with the granted QoS."""
        if self.closed:
            return fail(SessionClosed("MQTT client stopped"))
        waiter: Deferred[int] = Deferred()
        self._to_unsubscribe.discard(topic)
        if self.subscriptions.get(topic) == qos and topic not in self._unconfirmed:
            waiter.callback(qos)
            return waiter
        self.subscriptions[topic] = qos
        self._subscribe_waiters.setdefault(topic, []).append(waiter)
        self._unconfirmed.add(topic)
        if self.protocol is not None:
            self._send_subscribe([topic])
        return waiter

    def unsubscribe(self, topic: str) -> None:
        if self.subscriptions.pop(topic, None) is None:
            return
        self._unconfirmed.discard(topic)
        for waiter in self._subscribe_waiters.pop(topic, []):
            waiter.errback(SessionClosed(f"MQTT subscription to '{topic}' cancelled"))
        self._to_unsubscribe.add(topic)
        if self.protocol is not None:
            self._send_unsubscribe()

    def _send_subscribe(self, topics: list[str]) -> None:
        assert self.protocol is not None
        packet_id = self._allocate_id()
        self._pending_subscribe[packet_id] = topics
        self.protocol.send_subscribe(packet_id, [(topic, self.subscriptions[topic]) for topic in topics])

    def _send_unsubscribe(self) -> None:
        assert self.protocol is not None
        topics = sorted(self._to_unsubscribe)
        self._to_unsubscribe.clear()
        packet_id = self._allocate_id()
        self._pending_unsubscribe[packet_id] = topics
        self.protocol.send_unsubscribe(packet_id, topics)

    def subscribe_acknowledged(self, ack: SubAck) -> None:
        topics = self._pending_subscribe.pop(ack.packet_id, None)
        if topics is None:
            raise ProtocolViolation(f"SUBACK for unknown packet {ack.packet_id}")
        if len(topics) != len(ack.reason_codes):
            raise ProtocolViolation("SUBACK with a different number of return codes than topics")
        for topic, code in zip(topics, ack.reason_codes):
            if topic not in self.subscriptions:
                continue
            waiters = self._subscribe_waiters.pop(topic, [])
            self._unconfirmed.discard(topic)
            if code >= 0x80:
                del self.subscriptions[topic]
                log.error("MQTT broker refused the subscription to {topic} (0x{code:02x})", topic=topic, code=code)
                for waiter in waiters:
                    waiter.errback(SubscribeRefused(topic, code))
            else:
                for waiter in waiters:
                    waiter.callback(code)

    def unsubscribe_acknowledged(self, ack: Ack) -> None:
        if self._pending_unsubscribe.pop(ack.packet_id, None) is None:
            raise ProtocolViolation(f"UNSUBACK for unknown packet {ack.packet_id}")

    # Connections.

    def attach(self, protocol: "MQTTClientProtocol", session_present: bool) -> None:
        """A connection was accepted: resend or requeue what was in flight, then the queues."""
        self.protocol = protocol
        self._window = max(1, min(self.max_inflight, protocol.broker_receive_maximum))
        if session_present:
            now = protocol.clock.seconds()
            for message in self._inflight.values():
                assert message.packet_id is not None
                message.sent_at = now
                if message.released:
                    protocol.send_ack(PacketType.PUBREL, message.packet_id)
                else:
                    protocol.send_publish(message.topic, message.payload, message.qos, message.retain,
                                          message.packet_id, True, message.properties)
        else:
            self._start_new_session()
        while self._queue_qos0 and self.protocol is protocol:
            message = self._queue_qos0.popleft()
            protocol.send_publish(message.topic, message.payload, 0, message.retain, None, False,
                                  message.properties)
            message.deferred.callback(None)
        if self.protocol is not protocol:
            return
        if self._unconfirmed:
            self._send_subscribe(sorted(self._unconfirmed))
        if self._to_unsubscribe:
            self._send_unsubscribe()
        self._fill_window()

    def _start_new_session(self) -> None:
        """The broker kept nothing: messages it had not taken are sent again as new ones.

        A QoS 2 message whose PUBREC came is the broker's already: it is done.
        """
        unsent: list[_Outgoing] = []
        for message in self._inflight.values():
            if message.released:
                message.deferred.callback(None)
            else:
                message.packet_id = None
                unsent.append(message)
        self._inflight.clear()
        self._queue.extendleft(reversed(unsent))
        self._incoming_qos2.clear()
        self._to_unsubscribe.clear()
        self._unconfirmed.update(self.subscriptions)

    def detach(self, protocol: "MQTTClientProtocol") -> None:
        """The connection went: acknowledgements it awaited are asked for again next time."""
        if self.protocol is not protocol:
            return
        self.protocol = None
        for topics in self._pending_unsubscribe.values():
            self._to_unsubscribe.update(topics)
        self._pending_unsubscribe.clear()
        self._pending_subscribe.clear()

    def close(self) -> None:
        """The client stops: every caller still waiting gets ``SessionClosed``."""
        self.closed = True
        waiting: list[Deferred[Any]] = [message.deferred for message in self._inflight.values()]
        waiting += [message.deferred for message in self._queue]
        waiting += [message.deferred for message in self._queue_qos0]
        for waiters in self._subscribe_waiters.values():
            waiting.extend(waiters)
        self._inflight.clear()
        self._queue.clear()
        self._queue_qos0.clear()
        self._subscribe_waiters.clear()
        for deferred in waiting:
            if not deferred.called:
                deferred.errback(SessionClosed("MQTT client stopped before the broker acknowledged"))
